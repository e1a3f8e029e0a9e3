// Which dataset files an experiment's `concluded` entry names (src/app/experiment-lineage.ts): those
// sealed after the start's position in the ledger file (the process that started it keeps it: a cluster
// primary, or a replica whose experiment entries go to the fleet's stream), else after the experiment's
// `started` entry in the file, else — a restart lost the position and the file has no `started` entry —
// those whose records reach past the start (their manifests' time range).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { datasetsSinceStart } from '../../src/app/experiment-lineage.js';
import { parsePrivateKey, signerOf } from '../../src/ledger/keys.js';
import { Ledger, type DatasetRef } from '../../src/ledger/ledger.js';
import { tempDir } from '../helpers/run.js';

const signer = signerOf(parsePrivateKey(randomBytes(32).toString('base64url'), 'test'));

const file = (name: string): DatasetRef => ({ file: `/data/${name}.jsonl.gz`, sha256: name.repeat(64).slice(0, 64), bytes: 10, records: 1 });
const sealed = (name: string, to: string) => ({ type: 'dataset.rotated' as const, datasets: [file(name)], details: { timeRange: { from: to, to } } });

it('names the files sealed after the start\'s position, else after its started entry, else by time range', async () => {
  const path = join(tempDir('sg-since-start-'), 'ledger.jsonl');
  const ledger = new Ledger(path, signer);
  expect(await ledger.position()).toBe(0);
  await ledger.append({ type: 'config.loaded' });
  await ledger.append(sealed('a', '2026-12-08T01:00:00.000Z'));
  // The start's cut sealed `a`: the position once it is written.
  const mark = await ledger.position();
  expect(mark).toBe(2);
  await ledger.append(sealed('b', '2026-12-08T01:00:10.000Z'));
  await ledger.append(sealed('c', '2026-12-08T01:00:20.000Z'));
  await ledger.close();

  // The position: b and c, whatever their records' times say.
  expect((await datasetsSinceStart(path, 'x', '2026-12-08T01:00:15.000Z', mark)).map((d) => d.file)).toEqual([file('b').file, file('c').file]);
  // No position and no started entry (a restart, entries in the fleet's stream): the manifests' time range.
  expect((await datasetsSinceStart(path, 'x', '2026-12-08T01:00:15.000Z')).map((d) => d.file)).toEqual([file('c').file]);

  // A process that restarts continues the chain from the file, and a started entry in the file marks the start.
  const again = new Ledger(path, signer);
  expect(await again.position()).toBe(4);
  await again.append({ type: 'started', experiment: 'x' });
  await again.append(sealed('d', '2026-12-08T01:00:30.000Z'));
  await again.close();
  expect((await datasetsSinceStart(path, 'x', '2026-12-08T01:00:00.000Z')).map((d) => d.file)).toEqual([file('d').file]);
  // Another experiment's start is not this one's.
  expect((await datasetsSinceStart(path, 'y')).map((d) => d.file)).toEqual(['a', 'b', 'c', 'd'].map((n) => file(n).file));
});
