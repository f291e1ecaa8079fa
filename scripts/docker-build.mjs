#!/usr/bin/env node
// Builds the cluster's container images (infra/docker/Dockerfile) without
// installing anything inside a container:
//
//   1. `turbo run build` for api, gateway and web on the host;
//   2. `pnpm deploy --prod` of api and gateway into .docker/<app> (the app, its
//      production dependencies and the built workspace packages it imports);
//      .docker/web gets the Vite build under public/ and
//      infra/docker/static-server.mjs as dist/main.js;
//   3. `docker build -f infra/docker/Dockerfile .docker/<app>`, which only
//      copies that directory onto NODE_IMAGE.
//
// File times in .docker/ are pinned, so unchanged inputs give unchanged build
// contexts and the image builds are cache hits.
//
// Usage: node scripts/docker-build.mjs [api gateway web]   (default: all three)
//
// Environment:
//   NODE_IMAGE              base image (default node:24-bookworm-slim; CI: dynapharm/node:lts)
//   DYNAPHARM_IMAGE_PREFIX  image names are <prefix>/<app>:<tag> (default dynapharm)
//   DYNAPHARM_IMAGE_TAG     (default local)
//   DOCKER                  docker client (default `docker`)
// read from the environment, else from `.env` in the repository root.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lutimesSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The same `.env` compose reads (NODE_IMAGE, image names); the environment wins.
if (existsSync(join(root, '.env'))) process.loadEnvFile(join(root, '.env'));
const apps = {
  api: { pkg: '@dynapharm/api', port: 3000 },
  gateway: { pkg: '@dynapharm/gateway', port: 8081 },
  web: { pkg: '@dynapharm/web', port: 8080 },
};
const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in apps)) fail(`unknown image '${name}' (expected: ${Object.keys(apps).join(', ')})`);
}
const targets = wanted.length > 0 ? wanted : Object.keys(apps);

const docker = process.env.DOCKER || 'docker';
const nodeImage = process.env.NODE_IMAGE || 'node:24-bookworm-slim';
const prefix = process.env.DYNAPHARM_IMAGE_PREFIX || 'dynapharm';
const tag = process.env.DYNAPHARM_IMAGE_TAG || 'local';
const staging = join(root, '.docker');

function fail(message) {
  console.error(`docker-build: ${message}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (res.error) fail(`${cmd}: ${res.error.message}`);
  if (res.status !== 0) fail(`${cmd} ${args.join(' ')} exited with ${res.status}`);
}

/** The pinned pnpm, from PATH or (once, cached) through npx, as scripts/run.mjs does. */
function pnpmCommand() {
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager;
  const version = pinned.split('@')[1];
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim() === version) return ['pnpm', []];
  return ['npx', ['--yes', `pnpm@${version}`]];
}

const timings = [];
function step(label, fn) {
  const started = Date.now();
  console.log(`\n> ${label}`);
  fn();
  timings.push([label, (Date.now() - started) / 1000]);
}

const [pnpm, pnpmArgs] = pnpmCommand();

step('host build (turbo)', () => {
  const filters = targets.flatMap((t) => ['--filter', apps[t].pkg]);
  run(pnpm, [
    ...pnpmArgs,
    'exec',
    'turbo',
    'run',
    'build',
    ...filters,
    '--output-logs=errors-only',
  ]);
});

step('prune (pnpm deploy --prod)', () => {
  for (const t of targets) {
    const out = join(staging, t);
    rmSync(out, { recursive: true, force: true });
    if (t === 'web') {
      const dist = join(root, 'apps/web/dist');
      if (!existsSync(join(dist, 'index.html')))
        fail('apps/web/dist/index.html is missing after the build');
      cpSync(dist, join(out, 'public'), { recursive: true });
      mkdirSync(join(out, 'dist'));
      cpSync(join(root, 'infra/docker/static-server.mjs'), join(out, 'dist/main.js'));
      writeFileSync(
        join(out, 'package.json'),
        `${JSON.stringify({ name: '@dynapharm/web-server', private: true, type: 'module' }, null, 2)}\n`,
      );
      pinTimes(out);
      continue;
    }
    // --legacy: deploy without `inject-workspace-packages`; the workspace
    // packages are copied with their dist/ (which npm-packlist would drop, as
    // dist/ is git-ignored and they have no `files` list).
    run(pnpm, [
      ...pnpmArgs,
      '--filter',
      apps[t].pkg,
      'deploy',
      '--prod',
      '--legacy',
      '--prefer-offline',
      '--config.confirmModulesPurge=false',
      out,
    ]);
    // Sources, tests and tool configs of the app itself have no place at runtime.
    // pnpm's bookkeeping (with a timestamp, and a copy of the whole lockfile)
    // is not read at run time and would change the context on every deploy.
    for (const entry of [
      'src',
      'test',
      '.turbo',
      '.vitest',
      'vitest.config.ts',
      'node_modules/.modules.yaml',
      'node_modules/.pnpm/lock.yaml',
      'node_modules/.pnpm-workspace-state-v1.json',
    ]) {
      rmSync(join(out, entry), { recursive: true, force: true });
    }
    // What `node dist/main.js` and the compose `migrate` service start from.
    const needed = ['dist/main.js'];
    if (t === 'api') {
      needed.push(
        'node_modules/@dynapharm/db/dist/cli/migrate.js',
        'node_modules/@dynapharm/db/dist/cli/seed.js',
        'node_modules/@dynapharm/db/drizzle/meta/_journal.json',
      );
    }
    for (const file of needed) {
      if (!existsSync(join(out, file))) fail(`${file} is missing from the ${t} deployment`);
    }
    pinTimes(out);
  }
});

/**
 * Sets every file time under `dir` to one fixed instant. The classic builder's
 * COPY cache key includes file times, and `pnpm deploy` rewrites every file.
 */
function pinTimes(dir) {
  const when = new Date('2000-01-01T00:00:00Z');
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    lutimesSync(join(entry.parentPath, entry.name), when, when);
  }
  lutimesSync(dir, when, when);
}

// The classic builder works with every engine (CI: Debian's 20.10 daemon, no
// buildx); BuildKit is used when the user's client has it.
const env = { ...process.env };
if (env.DOCKER_BUILDKIT === undefined) {
  const buildx = spawnSync(docker, ['buildx', 'version'], { stdio: 'ignore' });
  if (buildx.status !== 0) env.DOCKER_BUILDKIT = '0';
}

for (const t of targets) {
  step(`docker build ${prefix}/${t}:${tag}`, () => {
    run(
      docker,
      [
        'build',
        '--pull=false',
        '--file',
        'infra/docker/Dockerfile',
        '--build-arg',
        `NODE_IMAGE=${nodeImage}`,
        '--build-arg',
        `PORT=${apps[t].port}`,
        '--tag',
        `${prefix}/${t}:${tag}`,
        '--quiet',
        join(staging, t),
      ],
      { env },
    );
  });
}

const total = timings.reduce((sum, [, s]) => sum + s, 0);
console.log('\ndocker-build timings:');
for (const [label, s] of timings) console.log(`  ${label.padEnd(40)} ${s.toFixed(1)} s`);
console.log(`  ${'total'.padEnd(40)} ${total.toFixed(1)} s`);
