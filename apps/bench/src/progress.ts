/**
 * Progress on stderr: one line per phase, and a ticking status line (redrawn
 * in place on a terminal, printed every 5 s otherwise) so a run never looks stuck.
 */
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private readonly tty = process.stderr.isTTY === true;
  private readonly started = Date.now();
  private lastWidth = 0;

  constructor(private readonly quiet = false) {}

  private clearTick() {
    if (this.tty && this.lastWidth > 0) process.stderr.write(`\r${' '.repeat(this.lastWidth)}\r`);
    this.lastWidth = 0;
  }

  /** Starts a phase: prints its line and ticks `status()` every second until the next phase. */
  phase(name: string, status?: () => string) {
    this.stopTicking();
    if (this.quiet) return;
    const t = ((Date.now() - this.started) / 1000).toFixed(0).padStart(4);
    process.stderr.write(`[${t}s] ${name}\n`);
    if (!status) return;
    let n = 0;
    this.timer = setInterval(() => {
      n++;
      const line = `       … ${status()}`;
      if (this.tty) {
        this.clearTick();
        process.stderr.write(line);
        this.lastWidth = line.length;
      } else if (n % 5 === 0) {
        process.stderr.write(`${line}\n`);
      }
    }, 1000);
  }

  note(text: string) {
    this.stopTicking();
    if (!this.quiet) process.stderr.write(`       ${text}\n`);
  }

  stopTicking() {
    clearInterval(this.timer);
    this.timer = undefined;
    this.clearTick();
  }
}
