import { execFile } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Asks the kernel for a free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

/** Resolves once something accepts TCP connections on the port. */
export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.connect(port, host);
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
}

/** Sends a signal to a process and all of its descendants. */
export async function signalTree(pid: number, signal: NodeJS.Signals) {
  for (const child of await descendants(pid)) {
    try {
      process.kill(child, signal);
    } catch {
      // already gone
    }
  }
  process.kill(pid, signal);
}

async function descendants(pid: number): Promise<number[]> {
  try {
    const { stdout } = await execFileAsync('ps', ['-o', 'pid=', '--ppid', String(pid)]);
    const children = stdout
      .split('\n')
      .map((line) => Number.parseInt(line.trim(), 10))
      .filter((n) => Number.isInteger(n));
    const nested = await Promise.all(children.map(descendants));
    return [...children, ...nested.flat()];
  } catch {
    return []; // `ps` exits 1 when there are no children
  }
}
