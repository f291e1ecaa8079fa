import { parseArgs, UsageError, usage } from './args.ts';
import { restoreEmbeddedPostgres } from './backup/restore.ts';
import { LaunchError, launch } from './cluster/launch.ts';
import { callLauncher } from './control/client.ts';
import { EnvError, loadSettings } from './env.ts';
import { createProgress } from './progress.ts';

const fail = (message: string, code = 1): never => {
  console.error(message);
  process.exit(code);
};

let command: ReturnType<typeof parseArgs>;
let settings: ReturnType<typeof loadSettings>;
try {
  command = parseArgs(process.argv.slice(2));
  settings = loadSettings();
} catch (err) {
  if (err instanceof UsageError) fail(`${err.message}\n\n${usage}`, 2);
  if (err instanceof EnvError) fail(err.message, 2);
  throw err;
}

switch (command.kind) {
  case 'help':
    console.log(usage);
    break;
  case 'status': {
    const status = await callLauncher(settings.dataDir, { method: 'GET', path: '/status' }).catch(
      (err: Error) => fail(err.message),
    );
    console.log(JSON.stringify(status, null, 2));
    break;
  }
  case 'scale': {
    const started = Date.now();
    const result = await callLauncher(settings.dataDir, {
      method: 'POST',
      path: '/scale',
      body: { replicas: command.replicas },
    }).catch((err: Error) => fail(err.message));
    const gateways = (result.gateways as { name: string; url: string }[] | undefined) ?? [];
    console.log(
      `${result.replicas} gateway replicas (${gateways.map((g) => g.name).join(', ')}) in ${Date.now() - started} ms`,
    );
    break;
  }
  case 'restart': {
    const started = Date.now();
    const result = await callLauncher(settings.dataDir, {
      method: 'POST',
      path: '/restart',
      body: {},
      // Each replica drains for up to DRAIN_TIMEOUT_MS; with 20 of them this takes a while.
      timeoutMs: 30 * 60_000,
    }).catch((err: Error) => fail(err.message));
    const replaced = (result.replaced as { from: string; to: string; drainedMs: number }[]) ?? [];
    for (const r of replaced) console.log(`${r.from} → ${r.to} (drained in ${r.drainedMs} ms)`);
    console.log(`${replaced.length} gateway replicas replaced in ${Date.now() - started} ms`);
    break;
  }
  case 'backup': {
    const started = Date.now();
    const result = await callLauncher(settings.dataDir, {
      method: 'POST',
      path: '/backup',
      body: {},
      timeoutMs: 30 * 60_000,
    }).catch((err: Error) => fail(err.message));
    console.log(
      `base backup ${result.label} (${Math.round(Number(result.bytes) / 1e6)} MB, WAL from ${result.startWal}) in ${Date.now() - started} ms\n  in ${result.directory}; metrics in ${result.metrics}`,
    );
    break;
  }
  case 'up':
  case 'restore': {
    const progress = createProgress({
      write: (text) => process.stdout.write(text),
      isTTY: process.stdout.isTTY,
    });
    const replicas = command.replicas ?? settings.env.GATEWAY_REPLICAS;
    const restore = command.kind === 'restore' ? command : undefined;
    if (restore && settings.env.DATABASE_URL) {
      fail('restore works on the embedded PostgreSQL only; DATABASE_URL names an external one', 2);
    }
    progress.line(
      `${restore ? 'Restoring, then starting' : 'Starting'} the Dynapharm Realtime local cluster (data in ${settings.dataDir})`,
    );

    // Signals that arrive while starting wait for the step to finish, then stop.
    let signalled: NodeJS.Signals | undefined;
    let onSignal: (signal: NodeJS.Signals) => void = (signal) => {
      if (signalled) process.exit(130);
      signalled = signal;
    };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(signal, () => onSignal(signal));
    }

    const cluster = await launch({
      settings,
      processEnv: process.env,
      replicas,
      frontDoor: command.frontDoor ?? settings.env.FRONT_DOOR,
      progress,
      ...(restore && {
        beforePostgres: () => restoreEmbeddedPostgres({ settings, to: restore.to, progress }),
      }),
    }).catch((err: unknown) =>
      fail(
        err instanceof LaunchError || err instanceof Error
          ? `\nCould not start the local cluster: ${err.message}`
          : String(err),
      ),
    );

    const shutdown = async (why: string, code: number) => {
      progress.line(`\n${why}: stopping (gateways drain first; Ctrl-C again to kill at once)…`);
      const started = Date.now();
      await cluster.stop();
      progress.line(
        `stopped in ${((Date.now() - started) / 1000).toFixed(1)} s; nothing left running`,
      );
      process.exit(code);
    };
    let stopping = false;
    onSignal = (signal) => {
      if (stopping) {
        progress.line('second signal: killing everything now');
        cluster.kill();
        process.exit(130);
      }
      stopping = true;
      void shutdown(signal, 0);
    };
    if (signalled) onSignal(signalled);
    void cluster.failed.then((reason) => {
      if (stopping) return;
      stopping = true;
      void shutdown(`fatal: ${reason}`, 1);
    });
    break;
  }
  default: {
    const unreachable: never = command;
    fail(`unknown command ${JSON.stringify(unreachable)}`);
  }
}
