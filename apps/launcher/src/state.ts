import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const secretsSchema = z.object({
  authJwtSecret: z.string().min(32),
  publishToken: z.string().min(16),
  postgresPassword: z.string().min(8),
});

/** Secrets generated on the first run and kept in `<data dir>/secrets.json`. */
export type Secrets = z.infer<typeof secretsSchema>;

/**
 * Loads the cluster's secrets, creating them on the first run. Keeping them
 * means dev-login tokens survive a restart and the embedded PostgreSQL keeps
 * accepting the password it was initialised with.
 */
export function loadSecrets(dataDir: string): Secrets {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const parsed = secretsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) return parsed.data;
    throw new Error(
      `${file} is malformed; delete it (and ${join(dataDir, 'postgres')}) to start over`,
    );
  }
  const secrets: Secrets = {
    authJwtSecret: randomBytes(32).toString('base64url'),
    publishToken: randomBytes(24).toString('base64url'),
    postgresPassword: randomBytes(16).toString('hex'),
  };
  writeAtomic(file, `${JSON.stringify(secrets, null, 2)}\n`, 0o600);
  return secrets;
}

const stateSchema = z.object({
  pid: z.number().int(),
  controlPort: z.number().int(),
  controlToken: z.string(),
  startedAt: z.string(),
  frontDoorUrl: z.string(),
  /** Every process the launcher started, to clean up after a launcher killed hard. */
  children: z.array(z.object({ name: z.string(), pid: z.number().int() })),
});

/** `<data dir>/launcher.json`: how `cluster:scale` finds the running launcher. */
export type LauncherState = z.infer<typeof stateSchema>;

export const stateFile = (dataDir: string) => join(dataDir, 'launcher.json');

export function readState(dataDir: string): LauncherState | undefined {
  try {
    const parsed = stateSchema.safeParse(JSON.parse(readFileSync(stateFile(dataDir), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function writeState(dataDir: string, state: LauncherState): void {
  // Holds the control token: readable by this user only.
  writeAtomic(stateFile(dataDir), `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

export function removeState(dataDir: string): void {
  rmSync(stateFile(dataDir), { force: true });
}

function writeAtomic(file: string, text: string, mode: number) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, file);
}

/** Whether a process with this pid exists (and we may signal it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * After a launcher died without cleaning up (SIGKILL, a crash), its children may
 * still hold the ports. Kills the process groups it recorded, if they still run
 * what the launcher started (the pid may have been reused otherwise).
 */
export function killLeftovers(state: LauncherState, looksLikeOurs: (pid: number) => boolean) {
  const killed: string[] = [];
  for (const child of state.children) {
    if (!isAlive(child.pid) || !looksLikeOurs(child.pid)) continue;
    try {
      process.kill(-child.pid, 'SIGKILL');
      killed.push(`${child.name} (${child.pid})`);
    } catch {
      // gone meanwhile
    }
  }
  return killed;
}

/** Linux: whether the process' command line mentions `marker`. Elsewhere: unknown, so no. */
export function commandLineIncludes(pid: number, markers: readonly string[]): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return markers.some((m) => cmdline.includes(m));
  } catch {
    return false;
  }
}
