// The state backend: where a process's routing state lives and how it meets the rest of its fleet.
// One model for every deployment (issue 13 point 6):
//   file   one process; the state file is the truth and this process is its own judge.
//   ipc    a node:cluster worker; the primary owns the state, judges, serves the admin API and the
//          report, and pushes every change to the workers (see ipc.ts).
//   redis  any number of processes; Redis holds the state, a lease elects the judge (see redis.ts).
//   primary  a node:cluster primary: its workers' backend (over the state file, or one Redis replica
//          of a larger fleet); it serves no traffic and judges on its workers' evidence (primary.ts).
// A replica always applies its own decisions at once (weight 0 after a rollback reaches its split
// before anything is written), and keeps serving on its last known state when the backend is gone.
import type { Logger } from 'pino';
import type { AuditRecord } from './audit.js';
import type { ComparerSnapshot } from '../compare/index.js';
import type { SliceSnapshot } from '../quality/slices.js';
import type { QualityReport } from '../quality/route-quality.js';
import type { LiveWindowSnapshot } from '../routing/live-stats.js';
import type { FleetEvidence, RoutingRuntime, RoutingStore } from '../routing/runtime.js';

/** One route's evidence from one process: its live windows (canary routes) and its comparer's snapshot (shadowed routes). */
export interface RouteEvidence {
  readonly incumbent?: LiveWindowSnapshot;
  readonly candidate?: LiveWindowSnapshot;
  readonly compare?: ComparerSnapshot;
  /** compare.slices: the route's slice table (docs/slices.md), merged into the fleet's report. */
  readonly slices?: SliceSnapshot;
  /** routes[].quality: the process's own quality section (docs/quality.md), combined in the fleet's report. */
  readonly quality?: QualityReport;
}

/** What one process publishes every evidenceInterval. */
export interface EvidenceSnapshot {
  readonly replica: string;
  /** Wall-clock ms when it was taken. */
  readonly at: number;
  readonly routes: Readonly<Record<string, RouteEvidence>>;
}

/** A process whose evidence the fleet's view includes, and how old that evidence is. */
export interface Contributor {
  readonly replica: string;
  readonly at: number;
  readonly ageMs: number;
}

/** GET /admin/fleet: this process in its fleet. */
export interface FleetView {
  /** The store the fleet shares (a cluster primary shows the one underneath it: file or redis). */
  readonly backend: 'file' | 'ipc' | 'redis';
  readonly replica: string;
  readonly up: boolean;
  readonly judge: boolean;
  readonly contributors: readonly Contributor[];
  /** Routes changed here that the shared backend has not taken yet (redis: merged when it is back). */
  readonly pending: readonly string[];
}

/** Where audit records go and where GET /admin/audit reads them. */
export interface AuditSink {
  append(rec: AuditRecord): Promise<void>;
  latest(limit: number): AuditRecord[] | Promise<AuditRecord[]>;
}

/** What the backend needs from its process. */
export interface ReplicaLink {
  readonly routing: RoutingRuntime;
  readonly log: Logger;
  /** This process's evidence now (its own live windows and comparers). */
  evidence(nowMs: number): EvidenceSnapshot['routes'];
  /** Instead of `evidence`: several processes' snapshots (a cluster primary's workers). */
  snapshots?(nowMs: number): EvidenceSnapshot[];
}

export interface StateBackend {
  readonly kind: 'file' | 'ipc' | 'redis' | 'primary';
  /** A cluster primary: the store underneath it (what /admin/fleet shows). */
  readonly shared?: 'file' | 'redis';
  /** This process's name in the fleet (host:pid). */
  readonly replica: string;
  readonly store: RoutingStore;
  /** Does this process judge rollouts and guardrails now? */
  isJudge(): boolean;
  /** The fleet's merged live windows of a route, for the judge; undefined judges on local windows. */
  evidence(route: string, nowMs: number, z?: number): FleetEvidence | undefined;
  /** The latest evidence snapshot of every process that contributes (this one included). */
  snapshots(nowMs: number): EvidenceSnapshot[];
  /** Connects, brings the shared state into the routing runtime, starts subscriptions and timers. */
  start(link: ReplicaLink): Promise<void>;
  /** The audit trail as the fleet sees it, over this process's own file. */
  auditSink(local: AuditSink): AuditSink;
  /** Is the shared backend reachable (always true for file)? */
  up(): boolean;
  /** Routes changed here that the shared backend has not taken yet (docs/fleet-outages.md). */
  pendingChanges?(): string[];
  close(): Promise<void>;
}
