// Issue 19: every live-path promise on every surface. Each case in cases.ts runs against each listener
// kind in test/helpers/surfaces.ts (HTTP/1.1, HTTP/1.1 on the h2c port, h2c, HTTPS, TLS with ALPN
// http/1.1, TLS with ALPN h2): one proxy per surface for the cases that share it, their own for the rest.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startFromYaml } from '../helpers/app.js';
import { disposeSurfaces, SURFACES, tlsMissing } from '../helpers/surfaces.js';
import { CASES, sharedConfig, startLiveUpstream, type CaseEnv, type Gateway, type LiveUpstream } from './cases.js';

if (tlsMissing) console.warn(tlsMissing);

let upstream: LiveUpstream;
beforeAll(async () => {
  upstream = await startLiveUpstream();
});
afterAll(async () => {
  await upstream.close();
  disposeSurfaces();
});

describe.each(SURFACES.map((s) => [s.name, s] as const))('%s', (_name, surface) => {
  const skip = surface.tls && tlsMissing !== undefined;
  let gw: Gateway | undefined;
  const env = (): CaseEnv => ({
    surface,
    gw: gw!,
    upstream,
    start: (fields) => startFromYaml(sharedConfig(surface, upstream.url, fields)),
  });
  beforeAll(async () => {
    if (!skip) gw = await startFromYaml(sharedConfig(surface, upstream.url));
  });
  afterAll(async () => {
    await gw?.close();
  });
  for (const c of CASES) {
    it.skipIf(skip || (c.applies !== undefined && !c.applies(surface)))(c.name, { timeout: 90_000 }, () => c.run(env()));
  }
});
