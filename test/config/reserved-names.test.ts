// Route names that would collide with the label values of unrouted traffic are refused at load time.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

describe('reserved route names', () => {
  for (const name of ['passthrough', 'none']) {
    it(`a route named ${name} is refused with its path`, () => {
      let problems: readonly string[] = [];
      try {
        parseConfig(`
upstreams: { incumbent: { url: "http://127.0.0.1:9101" } }
routes: [{ name: ok, primary: incumbent }, { name: ${name}, primary: incumbent }]
`);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        problems = (err as ConfigError).problems;
      }
      expect(problems.some((p) => p.includes('routes[1].name') && p.includes('reserved'))).toBe(true);
    });
  }
});
