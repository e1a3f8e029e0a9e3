// Shared test fixtures for the dataset room: deterministic exchanges, temp dirs, a silent logger.
import { rm } from 'node:fs/promises';
import type { ShadowExchange } from '../../src/exchange.js';
import { readDataset, type ReadIssue, type ReadItem } from '../../src/dataset/reader.js';
import { tempDir as registeredTempDir } from '../helpers/run.js';

export function exchange(i: number, over: Partial<ShadowExchange> = {}): ShadowExchange {
  const body = (v: unknown) => Buffer.from(JSON.stringify(v));
  return {
    route: 'predict',
    requestId: `r${i}`,
    policyId: 'default@0123456789ab',
    ts: 1_700_000_000_000 + i,
    request: { method: 'POST', url: `/v1/predict?i=${i}`, headers: { 'content-type': 'application/json' }, body: body({ i, user: `tok_${i}` }) },
    responses: {
      incumbent: { target: 'incumbent', role: 'incumbent', status: 200, headers: {}, body: body({ prediction: 'a', i }), latencyMs: 1.5 },
      candidate: { target: 'candidate', role: 'candidate', status: 200, headers: {}, body: body({ prediction: 'b', i }), latencyMs: 2.25 },
    },
    ...over,
  };
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = registeredTempDir('sg-dataset-');
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function readAll(paths: string[]): Promise<{ items: ReadItem[]; issues: ReadIssue[] }> {
  const items: ReadItem[] = [];
  const issues: ReadIssue[] = [];
  for await (const item of readDataset(paths, { onIssue: (i) => issues.push(i) })) items.push(item);
  return { items, issues };
}
