// The dataset record format: version field first, bodies as UTF-8 text or base64 when they are not
// valid UTF-8, and a lossless trip back to an exchange.
import { describe, expect, it } from 'vitest';
import { checkRecord, recordToExchange, toDatasetRecord } from '../../src/dataset/record.js';
import { exchange } from './fixtures.js';

describe('toDatasetRecord', () => {
  it('puts the version first and keeps the DESIGN.md field order', () => {
    const rec = toDatasetRecord(exchange(1));
    expect(Object.keys(rec)).toEqual(['v', 'ts', 'route', 'policy', 'request', 'responses']);
    expect(JSON.stringify(rec).startsWith('{"v":1,"ts":')).toBe(true);
    expect(Object.keys(rec.request)).toEqual(['method', 'path', 'headers', 'body']);
    expect(rec.responses.incumbent).toEqual({ status: 200, latencyMs: 1.5, body: '{"prediction":"a","i":1}' });
    expect(rec.responses.baseline).toBeUndefined();
  });

  it('stores a body that is not valid UTF-8 as base64 and restores the exact bytes', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x41]);
    const ex = exchange(2, { request: { method: 'POST', url: '/x', headers: {}, body: bytes } });
    const rec = toDatasetRecord(ex);
    expect(rec.request).toMatchObject({ body: bytes.toString('base64'), bodyEncoding: 'base64' });
    const back = recordToExchange(JSON.parse(JSON.stringify(rec)), 'id');
    expect(back.request.body.equals(bytes)).toBe(true);
  });

  it('keeps a failed call as status 0 with its failure kind', () => {
    const ex = exchange(3);
    const rec = toDatasetRecord({ ...ex, responses: { ...ex.responses, candidate: { target: 'c', role: 'candidate', status: 0, headers: {}, body: Buffer.alloc(0), latencyMs: 2000, error: 'timeout' } } });
    expect(rec.responses.candidate).toEqual({ status: 0, latencyMs: 2000, body: '', error: 'timeout' });
    expect(checkRecord(JSON.parse(JSON.stringify(rec)))).toHaveProperty('record');
  });

  it('round-trips through JSON back to an equal exchange (bodies, statuses, latencies)', () => {
    const ex = exchange(4);
    const back = recordToExchange(JSON.parse(JSON.stringify(toDatasetRecord(ex))), ex.requestId, { incumbent: 'incumbent', candidate: 'candidate' });
    expect(back).toEqual(ex);
  });
});
