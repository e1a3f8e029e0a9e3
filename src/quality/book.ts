// Every route's RouteQuality, kept across reloads while the route's `quality:` stays the same (a changed
// one starts a new reference): the live side's one object per route, and what the report and the
// metrics read.
import type { RouteConfig } from '../config/schema.js';
import { RouteQuality, type QualityObservation, type QualityReport } from './route-quality.js';

export class QualityBook {
  private readonly routes = new Map<string, { key: string; quality: RouteQuality }>();

  /** The route's RouteQuality for this configuration (undefined without `quality:`). Called once per route per generation. */
  forRoute(r: RouteConfig): RouteQuality | undefined {
    if (r.quality === undefined || r.shadow === undefined) {
      this.routes.delete(r.name);
      return undefined;
    }
    const key = JSON.stringify(r.quality);
    const known = this.routes.get(r.name);
    if (known?.key === key) return known.quality;
    const quality = new RouteQuality(r.name, r.quality);
    this.routes.set(r.name, { key, quality });
    return quality;
  }

  /** Forgets routes the configuration no longer has. */
  keep(names: readonly string[]): void {
    for (const name of [...this.routes.keys()]) if (!names.includes(name)) this.routes.delete(name);
  }

  observe(route: string, obs: QualityObservation, nowMs: number, labels?: readonly [string, string]): void {
    this.routes.get(route)?.quality.observe(obs, nowMs, labels);
  }

  report(route: string, nowMs: number, fresh = true): QualityReport | undefined {
    return this.routes.get(route)?.quality.report(nowMs, fresh);
  }

  /** Every route's report (the metrics read them at scrape time). */
  reports(nowMs: number): [string, QualityReport][] {
    return [...this.routes].map(([name, r]) => [name, r.quality.report(nowMs)]);
  }
}
