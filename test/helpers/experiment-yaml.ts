// The route the experiment, lineage and reproduce tests share: `predict` served by the incumbent, shadowed to
// the incumbent and the candidate with the incumbent as the noise baseline, the label compared, latency checks
// out of the way (a verdict that depends only on the labels, so a replay reaches the same one), the default
// policy scanning unknown fields. Everything from `upstreams:` to the policies, at the YAML's top level.
import { expect } from 'vitest';
import { TEST_KEY } from './app.js';

export function experimentRouteYaml(incumbentUrl: string, candidateUrl: string, opts: { canary?: boolean } = {}): string {
  return `upstreams:
  incumbent: { url: "${incumbentUrl}", timeout: 5s }
  candidate: { url: "${candidateUrl}", timeout: 5s }
routes:
  - name: predict
    match: { pathPrefix: /v1/predict }
    primary: incumbent
${opts.canary === false ? '' : '    canary: { upstream: candidate, weight: 0 }\n'}    shadow:
      targets: [incumbent, candidate]
      baseline: incumbent
      maxRps: 100000
      maxInFlight: 1000
      policy: default
      compare:
        ignore: ["$.request_id", "$.nonce"]
        label: "$.prediction"
        verdict: { maxP99Ratio: 1000, minLatencyEffect: 1000, minObservations: 50 }
anonymize:
  key: "${TEST_KEY}"
  policies:
    default:
      headers: { keep: [content-type] }
      unknown: scan`;
}

/** An admin POST as each test makes it (its own server, port and transport). */
export type AdminPost = (path: string, token: string, body?: unknown) => Promise<{ status: number }>;

/** Proposes experiment `predict-v2` on the route above (by `proposer`) and approves it (by `approver`: four eyes). */
export async function proposeAndApprove(post: AdminPost, proposer: string, approver: string, minSamples: number): Promise<void> {
  expect((await post('/admin/experiments', proposer, {
    id: 'predict-v2', route: 'predict', hypothesis: 'v2 labels as v1 does',
    criteria: [{ metric: 'disagreement', comparator: '<=', threshold: 0.3 }], minSamples,
    owner: 'ml', privacyRiskAssessment: 'PRA-1', rollbackPlan: 'weight 0',
  })).status).toBe(201);
  expect((await post('/admin/experiments/predict-v2/approve', approver)).status).toBe(200);
}
