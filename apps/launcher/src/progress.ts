/** Where progress lines go; a test passes its own. */
export interface ProgressOutput {
  write(text: string): void;
  isTTY?: boolean;
}

const seconds = (ms: number) => (ms < 1_000 ? `${ms} ms` : `${(ms / 1_000).toFixed(1)} s`);

/**
 * One line per start-up step with its duration. On a terminal the line shows
 * `…` while the step runs and is rewritten when it ends.
 */
export function createProgress(out: ProgressOutput) {
  return {
    async step<T>(label: string, fn: () => Promise<T>, detail?: (result: T) => string): Promise<T> {
      const started = Date.now();
      if (out.isTTY) out.write(`  … ${label}`);
      const clear = out.isTTY ? '\r\x1b[K' : '';
      try {
        const result = await fn();
        const extra = detail ? ` — ${detail(result)}` : '';
        out.write(`${clear}  ✔ ${label}${extra} (${seconds(Date.now() - started)})\n`);
        return result;
      } catch (err) {
        out.write(`${clear}  ✖ ${label} (${seconds(Date.now() - started)})\n`);
        throw err;
      }
    },
    line(text = '') {
      out.write(`${text}\n`);
    },
  };
}

export type Progress = ReturnType<typeof createProgress>;
