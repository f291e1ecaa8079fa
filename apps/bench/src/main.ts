import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOptions, usage } from './options.ts';
import { hotFunctions, hotPackages, readCpuProfile } from './profile/cpuprofile.ts';
import { Progress } from './progress.ts';
import { renderSvg } from './report/svg.ts';
import { formatReport, formatTable } from './report/table.ts';
import { runBench } from './run.ts';

const defaultResults = fileURLToPath(new URL('../results', import.meta.url));

let options: ReturnType<typeof parseOptions>;
try {
  options = parseOptions(process.argv.slice(2), process.env, defaultResults);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  console.error(usage);
  process.exit(2);
}
if (options === 'help') {
  console.log(usage);
  process.exit(0);
}

const progress = new Progress();
// A bench that hangs is worse than one that fails: hard stop after the planned time plus margin.
const plannedSec =
  (options.durationSec + options.saturationSec) * 3 +
  options.saturationSec * 2 +
  options.connections / 100 +
  600;
const watchdog = setTimeout(() => {
  console.error(`bench exceeded ${Math.round(plannedSec)} s; giving up`);
  process.exit(1);
}, plannedSec * 1000);
watchdog.unref();

await mkdir(options.resultsDir, { recursive: true });
const profileDir = join(options.resultsDir, 'profiles');
if (options.profile) await rm(profileDir, { recursive: true, force: true });

try {
  const result = await runBench(options, progress);
  const report = formatReport(result);
  const profiles: Record<string, unknown> = {};
  const profileText: string[] = [];
  if (options.profile) {
    for (const file of (await readdir(profileDir).catch(() => [])).filter((f) =>
      f.endsWith('.cpuprofile'),
    )) {
      const profile = await readCpuProfile(join(profileDir, file));
      const functions = hotFunctions(profile, 20);
      const packages = hotPackages(profile);
      profiles[file] = { functions, packages };
      profileText.push(
        '',
        `Top self time — ${file}`,
        formatTable(
          ['function', 'where', 'self ms', '%'],
          functions.map((f) => [f.name, f.where, f.selfMs, f.percent]),
        ),
        '',
        formatTable(
          ['package', '%'],
          packages.map((p) => [p.name, p.percent]),
        ),
      );
    }
  }
  await writeFile(
    join(options.resultsDir, 'latest.json'),
    `${JSON.stringify(options.profile ? { ...result, profiles } : result, null, 2)}\n`,
  );
  await writeFile(join(options.resultsDir, 'latest.svg'), renderSvg(result));
  console.log(`\n${report}${profileText.join('\n')}`);
  console.log(`\nwrote ${join(options.resultsDir, 'latest.json')} and latest.svg`);
  process.exit(0);
} catch (err) {
  progress.stopTicking();
  console.error('bench failed:', err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
}
