// Bundles the console (src/console) into dist/console with esbuild: one script, one stylesheet and
// index.html, all served from /ui with a strict CSP. `node src/console/build.mjs` or buildConsole().
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

export async function buildConsole(outDir = join(root, 'dist', 'console')) {
  // Built beside the target, then renamed file by file: a server reading dist/console (another test
  // file, a running demo) never sees a half-written bundle.
  const stage = `${outDir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(stage, { recursive: true });
  try {
    await build({
      entryPoints: { app: join(here, 'main.ts') },
      bundle: true, minify: true, sourcemap: false, format: 'esm', target: 'es2022',
      outdir: stage, logLevel: 'warning', legalComments: 'none',
    });
    await build({
      entryPoints: { app: join(here, 'style.css') },
      bundle: true, minify: true, outdir: stage, logLevel: 'warning',
      nodePaths: [join(root, 'node_modules')],
    });
    await copyFile(join(here, 'index.html'), join(stage, 'index.html'));
    await mkdir(outDir, { recursive: true });
    for (const f of ['app.js', 'app.css', 'index.html']) await rename(join(stage, f), join(outDir, f));
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  return outDir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await buildConsole();
  console.log(`console built into ${out}`);
}
