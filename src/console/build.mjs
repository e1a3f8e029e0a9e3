// Bundles the console (src/console) into dist/console with esbuild: one script, one stylesheet and
// index.html, all served from /ui with a strict CSP. `node src/console/build.mjs` or buildConsole().
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

export async function buildConsole(outDir = join(root, 'dist', 'console')) {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: { app: join(here, 'main.ts') },
    bundle: true, minify: true, sourcemap: false, format: 'esm', target: 'es2022',
    outdir: outDir, logLevel: 'warning', legalComments: 'none',
  });
  await build({
    entryPoints: { app: join(here, 'style.css') },
    bundle: true, minify: true, outdir: outDir, logLevel: 'warning',
    nodePaths: [join(root, 'node_modules')],
  });
  await copyFile(join(here, 'index.html'), join(outDir, 'index.html'));
  return outDir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await buildConsole();
  console.log(`console built into ${out}`);
}
