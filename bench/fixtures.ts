// The one request body every case sends (≈1 KB of JSON with personal data) and the fixed answers the
// upstream servers give, so that every proxy, peer and direct run does exactly the same work.
export const REQUEST_PATH = '/v1/predict';

const note = 'Customer Jane Doe called from +1 415 555 0134 about card 4111 1111 1111 1111; '
  + 'please email jane.doe@example.com before Friday, she lives at 221B Baker Street.';

/** A production-shaped prediction request: identity, contact, payment, address, network and features. */
export const REQUEST_BODY = JSON.stringify({
  request_id: 'req-7f3a9c2e-5d1b-4e8f-a6c0-2b9d4e1f7a35',
  user: {
    id: 'u-0042-8812',
    name: 'Jane Doe',
    email: 'jane.doe@example.com',
    phone: '+1 415 555 0134',
    dob: '1987-04-12',
    address: { street: '221B Baker Street', city: 'London', postcode: 'NW1 6XE', country: 'GB' },
  },
  payment: { card: '4111111111111111', expiry: '12/29', amount: 129.95, currency: 'USD' },
  client: { ip: '203.0.113.42', userAgent: 'shadowgate-bench/1.0', locale: 'en-GB' },
  note,
  features: {
    tenure_days: 812, orders_30d: 4, avg_basket: 57.3, refund_rate: 0.021, sessions_7d: 11,
    risk_score_prev: 0.137, device_age_days: 340, velocity_1h: 2, velocity_24h: 6, ratio: 0.52,
  },
  embedding: [0.0132, -0.2251, 0.3317, 0.0921, -0.1185, 0.4409, -0.0377, 0.2093],
});

function answer(model: string, score: number, prediction: string): string {
  return JSON.stringify({
    request_id: 'resp-00000000-0000-0000-0000-000000000000',
    model,
    prediction,
    score,
    scores: { approve: score, review: +(1 - score - 0.05).toFixed(4), decline: 0.05 },
    reasons: ['tenure_days', 'refund_rate', 'velocity_24h'],
    latency_ms: 3,
    version: '2026-11-01',
  });
}

/** The fixed answers (≈300 bytes each); the candidate disagrees slightly so comparison has work. */
export const ANSWERS = {
  incumbent: answer('risk-incumbent-v41', 0.8731, 'approve'),
  candidate: answer('risk-candidate-v42', 0.8694, 'approve'),
  baseline: answer('risk-incumbent-v41', 0.8731, 'approve'),
} as const;
export type UpstreamRole = keyof typeof ANSWERS;

const FREE_WORDS = ['the', 'customer', 'asked', 'about', 'a', 'refund', 'for', 'the', 'order', 'that', 'was', 'delivered', 'late', 'and', 'wants', 'someone', 'to', 'call', 'back', 'today'];

/**
 * A free-text request of about `bytes` bytes (the anonymizer's most expensive input: every word is
 * scanned), with an email every 40 words and a phone number every 53, deterministic.
 */
export function freeTextBody(bytes: number): string {
  const words: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const w = i % 40 === 0 ? `maria.gonzalez${i}@example.org` : i % 53 === 0 ? `+1 415 555 01${String(i % 100).padStart(2, '0')}` : FREE_WORDS[(i * 7) % FREE_WORDS.length]!;
    words.push(w);
    size += w.length + 1;
  }
  return JSON.stringify({ request_id: 'req-free-text', note: words.join(' ') });
}

/**
 * A body of about `kb` KB in the request's shape: the 1 KB request with `history`, a list of past
 * requests (each one the same production shape, with its own ids), so the work per byte stays alike.
 */
export function sizedBody(kb: number): string {
  if (kb <= 1) return REQUEST_BODY;
  const base = JSON.parse(REQUEST_BODY) as Record<string, unknown>;
  const history: unknown[] = [];
  let size = REQUEST_BODY.length;
  for (let i = 0; size < kb * 1024 - 64; i++) {
    const past = { ...(JSON.parse(REQUEST_BODY) as Record<string, unknown>), request_id: `req-past-${i}` };
    history.push(past);
    size += JSON.stringify(past).length + 1;
  }
  return JSON.stringify({ ...base, history });
}
