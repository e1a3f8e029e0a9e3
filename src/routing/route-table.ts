// The route table: first match wins, in configuration order, on host, method and path prefix.
import type { RouteConfig } from '../config/schema.js';

export interface Matchable {
  readonly config: RouteConfig;
}

export class RouteTable<R extends Matchable> {
  private readonly routes: readonly R[];
  constructor(routes: readonly R[]) {
    this.routes = routes;
  }

  match(method: string, host: string | undefined, url: string): R | undefined {
    for (const r of this.routes) {
      const m = r.config.match;
      if (m.methods && !m.methods.includes(method)) continue;
      if (m.host !== undefined && hostName(host) !== m.host.toLowerCase()) continue;
      if (!pathMatches(url, m.pathPrefix)) continue;
      return r;
    }
    return undefined;
  }

  get(name: string): R | undefined {
    return this.routes.find((r) => r.config.name === name);
  }

  all(): readonly R[] {
    return this.routes;
  }
}

function hostName(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

/** `/v1/predict` matches `/v1/predict`, `/v1/predict/x` and `/v1/predict?q`, not `/v1/predictions`. */
export function pathMatches(url: string, prefix: string): boolean {
  if (!url.startsWith(prefix)) return false;
  if (url.length === prefix.length || prefix.endsWith('/')) return true;
  const next = url.charCodeAt(prefix.length);
  return next === 47 /* / */ || next === 63 /* ? */;
}
