// shadowgate_route_upstream_info{route, upstream, role}: which upstream is a route's incumbent and which
// its candidate, so alert rules can compare their latency series by role (deploy/prometheus).
import type { Config } from '../config/schema.js';
import type { Metrics } from './metrics.js';

export function publishRouteUpstreams(metrics: Metrics, config: Config): void {
  metrics.routeUpstreams.reset();
  for (const r of config.routes) {
    metrics.routeUpstreams.set({ route: r.name, upstream: r.primary, role: 'incumbent' }, 1);
    if (r.canary !== undefined) metrics.routeUpstreams.set({ route: r.name, upstream: r.canary.upstream, role: 'candidate' }, 1);
    else if (r.shadow !== undefined) {
      // Shadow only: the candidate is the shadow target that is not the primary.
      const other = r.shadow.targets.find((t) => t !== r.primary);
      if (other !== undefined) metrics.routeUpstreams.set({ route: r.name, upstream: other, role: 'candidate' }, 1);
    }
  }
}
