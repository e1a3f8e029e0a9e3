#!/usr/bin/env node
// Whether dist/ is the build of the sources beside it. `npm run build` ends with `write` (a hash of every
// build input in dist/.build-stamp); `prepare` runs `check` first and builds only when it fails. So the
// `prepare` that npm runs again on `npx shadowgate` after `npm install` (and on every `npm install` in a
// clone) costs a hash of the sources, not a whole TypeScript build, when nothing changed (issue 23).
//   node scripts/build-stamp.mjs check [root]   exit 0: dist/ is current (or there is nothing to build)
//   node scripts/build-stamp.mjs write [root]   record the sources dist/ was just built from
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const [mode, rootArg] = process.argv.slice(2);
const root = resolve(rootArg ?? process.cwd());
const STAMP = join(root, 'dist', '.build-stamp');
/** What `npm run build` reads: the sources (console included), the compiler settings, the locked compiler. */
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
/** What `npm run build` must have produced for the package to run. */
const OUTPUTS = ['dist/src/cli/main.js', 'dist/console/app.js'];

function files(path) {
  if (!existsSync(path)) return [];
  try {
    return readdirSync(path, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .flatMap((e) => (e.isDirectory() ? files(join(path, e.name)) : [join(path, e.name)]));
  } catch {
    return [path]; // a file
  }
}

function hash() {
  const h = createHash('sha256');
  for (const f of INPUTS.flatMap((p) => files(join(root, p)))) {
    h.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  return h.digest('hex');
}

if (mode === 'write') {
  writeFileSync(STAMP, `${hash()}\n`);
} else if (mode === 'check') {
  if (!existsSync(join(root, 'src'))) {
    console.log('prepare: no src/ here (an installed package): nothing to build');
    process.exit(0);
  }
  const missing = OUTPUTS.filter((o) => !existsSync(join(root, o)));
  const stamp = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : '';
  if (missing.length === 0 && stamp === hash()) {
    console.log('prepare: dist/ is the build of these sources; not rebuilding');
    process.exit(0);
  }
  console.log(`prepare: ${missing.length > 0 ? `${missing.join(', ')} missing` : stamp ? 'sources changed since the last build' : 'no build stamp'}; building`);
  process.exit(1);
} else {
  console.error('usage: node scripts/build-stamp.mjs check|write [root]');
  process.exit(2);
}
