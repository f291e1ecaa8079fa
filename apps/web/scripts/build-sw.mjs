// Writes dist/sw.js from src/service-worker/sw.js after the Vite builds: the
// precache list is every file of the build (source maps aside) and the cache
// version a hash of their contents, so a new build drops the old cache and an
// unchanged one keeps it.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const dist = join(appDir, 'dist');
const template = readFileSync(join(appDir, 'src/service-worker/sw.js'), 'utf8');

const files = readdirSync(dist, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => `/${relative(dist, join(entry.parentPath, entry.name)).split(sep).join('/')}`)
  .filter((path) => !path.endsWith('.map') && path !== '/sw.js')
  .sort();
if (!files.includes('/index.html'))
  throw new Error(`no index.html in ${dist}: build the app first`);

const hash = createHash('sha256');
for (const path of files)
  hash
    .update(path)
    .update('\0')
    .update(readFileSync(join(dist, path)));
const version = hash.digest('hex').slice(0, 12);

const replace = (source, pattern, value) => {
  if (!pattern.test(source)) throw new Error(`sw.js template lost ${pattern}`);
  return source.replace(pattern, value);
};
let sw = replace(template, /^const CACHE_VERSION = .*;$/m, `const CACHE_VERSION = '${version}';`);
sw = replace(sw, /^const PRECACHE = .*;$/m, `const PRECACHE = ${JSON.stringify(files)};`);
writeFileSync(join(dist, 'sw.js'), sw);
console.log(`dist/sw.js: cache ${version}, ${files.length} files`);
