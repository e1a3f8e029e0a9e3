// What the admin API needs from the rest of the process, and nothing more: app/wiring.ts builds it,
// tests stub it. The routing part is the RoutingRuntime itself (or anything shaped like it).
import type { AuditSink, FleetView } from '../state/backend.js';
import type { RecordConfig } from '../config/schema.js';
import type { RoutingRuntime } from '../routing/runtime.js';
import type { ExperimentRegistry } from '../experiments/index.js';

export type AdminRouting = Pick<RoutingRuntime, 'list' | 'route' | 'setWeight' | 'clearOverride' | 'rollback' | 'promote' | 'pause' | 'resume'>
  // An operator's change is answered once it is durable (the store writes off the request's thread).
  & Partial<Pick<RoutingRuntime, 'flush'>>;

export interface AdminContext {
  /** False while starting or draining: /readyz answers 503. */
  ready(): boolean;
  /** Details /readyz adds to its answer (a cluster primary: how many workers listen). */
  readiness?(): Record<string, unknown>;
  /** Prometheus exposition (aggregated across workers where there are any). */
  metrics(): Promise<{ contentType: string; body: string }>;
  /**
   * The comparison report: all routes, or one (undefined when that route is unknown). The CLI renders
   * `{ reports: RouteReport[] }` (what `replay --json` prints), a bare array, or one RouteReport.
   */
  report(route?: string): unknown;
  /** Stored diff samples of a route (undefined when the route is unknown). */
  samples(route: string): unknown;
  /** Re-read and swap the configuration; the running one stays on failure. */
  reload(): Promise<{ ok: true } | { ok: false; problems: string[] }>;
  /** The dataset recording configuration (GET /admin/datasets lists its files); undefined when not recording. */
  recordConfig?(): Readonly<RecordConfig> | undefined;
  readonly routing: AdminRouting;
  /** Audited mutations go here; GET /admin/audit reads the fleet's trail where there is one. */
  readonly audit: AuditSink;
  /** GET /admin/fleet: the state backend, whether this process judges, whose evidence it sees. */
  fleet?(): FleetView;
  /** The experiments (docs/experiments.md): their endpoints and the canary gate; absent: none and no gate. */
  readonly experiments?: ExperimentRegistry;
  /** The confidence a route's report bounds hold at (1 − its compare.regression.alpha): criteria asking more stay pending. */
  reportConfidence?(route: string): number | undefined;
}
