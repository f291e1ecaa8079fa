/** A one-slot doorbell: `ring()` ends the current `wait()`, or the next one if none is waiting. */
export class Wakeup {
  private ringing = false;
  private waiter: (() => void) | undefined;

  ring() {
    if (this.waiter) this.waiter();
    else this.ringing = true;
  }

  /** Resolves at the next ring or after `ms`, whichever comes first. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.ringing) {
        this.ringing = false;
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        this.waiter = undefined;
        this.ringing = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiter = done;
    });
  }
}
