// Runs in every test file (vitest setupFiles): after the file's own afterAll hooks, stop the children it
// started through test/helpers/run.ts and remove its temp directories, even when one of its tests timed out.
import { relative } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { cleanUpFile, RUN_DIR, setCurrentFile } from './helpers/run.js';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

beforeAll(() => {
  setCurrentFile(relative(process.cwd(), expect.getState().testPath ?? 'a test file'));
});

afterAll(async () => {
  const killed = await cleanUpFile();
  if (killed.length > 0 && RUN_DIR !== undefined) {
    // Not a failure on its own (nothing is left behind), but the run's summary names the file.
    const file = relative(process.cwd(), expect.getState().testPath ?? 'a test file');
    appendFileSync(join(RUN_DIR, 'killed.log'), `${file}: ${killed.join('; ')}\n`);
  }
}, 60_000);
