// A route as the copy pipeline sees it, compiled once per configuration generation and shared by the
// shadow threads (live copies) and replay (recorded copies): the target roles, derived here and nowhere
// else; each target's rewrite; the comparison rules (with a gRPC preset's own); and, for a gRPC route,
// the codec that sends the JSON copy as protobuf over HTTP/2.
import type { CompareConfig, Config, RouteConfig, ShadowConfig, UpstreamConfig } from '../config/schema.js';
import type { ShadowRole } from '../exchange.js';
import { GrpcChannels } from '../grpc/channels.js';
import type { GrpcMethod } from '../grpc/proto.js';
import { grpcMethods, withOipRules } from '../grpc/route.js';
import { GrpcShadowDispatcher } from './grpc.js';
import { compileRewrites, type TargetRewriter } from './rewrite.js';
import { compileSlicePaths, type SlicePaths } from '../quality/slice-keys.js';

/** The targets a route's copy goes to, by role: targets[0] is the control, targets[1] the candidate, then the baseline. */
export function targetRoles(cfg: Readonly<ShadowConfig>): [string, ShadowRole][] {
  const roles: [string, ShadowRole][] = [[cfg.targets[0]!, 'incumbent']];
  if (cfg.targets[1] !== undefined) roles.push([cfg.targets[1], 'candidate']);
  if (cfg.baseline !== undefined) roles.push([cfg.baseline, 'baseline']);
  return roles;
}

/** The comparison settings a route's answers are judged by: grpc.preset oip brings its own rules. */
export function routeCompareConfig(r: RouteConfig & { shadow: ShadowConfig }): CompareConfig {
  return r.grpc?.preset === 'oip' ? withOipRules(r.shadow.compare) : r.shadow.compare;
}

/** A gRPC route's codec: its methods and the sender that speaks protobuf over HTTP/2 to each target. */
export interface GrpcCodec {
  readonly dispatcher: GrpcShadowDispatcher;
  readonly methods: ReadonlyMap<string, GrpcMethod>;
  readonly maxMessages: number;
}

/** The codec of a `protocol: grpc` route (undefined for HTTP routes), over the generation's channels. */
export function grpcCodec(r: RouteConfig, channels: GrpcChannels, upstreams: Readonly<Record<string, UpstreamConfig>>): GrpcCodec | undefined {
  if (r.protocol !== 'grpc') return undefined;
  const methods = grpcMethods(r);
  const maxMessages = r.grpc?.maxMessages ?? 1000;
  const timeouts = new Map(Object.entries(upstreams).map(([name, u]) => [name, u.timeout] as const));
  return { methods, maxMessages, dispatcher: new GrpcShadowDispatcher(channels, methods, maxMessages, timeouts) };
}

/** What both the live copy and its replay need of a route. */
export interface PipelineRoute {
  readonly name: string;
  readonly cfg: Readonly<ShadowConfig>;
  readonly roles: readonly (readonly [string, ShadowRole])[];
  /** shadow.rewrite, compiled: the copy a named target receives instead of the common one. */
  readonly rewrites: ReadonlyMap<string, TargetRewriter>;
  /** The route's comparison settings (preset rules included). */
  readonly compare: CompareConfig;
  /** protocol: grpc — messages decoded with the route's .proto before the policy, sent as protobuf. */
  readonly grpc?: GrpcCodec;
  /** compare.slices' request paths (docs/slices.md): read from the anonymized copy, live and in replay alike. */
  readonly slices?: SlicePaths;
}

export function pipelineRoute(r: RouteConfig & { shadow: ShadowConfig }, grpc?: GrpcCodec): PipelineRoute {
  return {
    name: r.name,
    cfg: r.shadow,
    roles: targetRoles(r.shadow),
    rewrites: compileRewrites(r.shadow.rewrite),
    compare: routeCompareConfig(r),
    ...(grpc ? { grpc } : {}),
    ...(r.shadow.compare.enabled && r.shadow.compare.slices ? { slices: compileSlicePaths(r.shadow.compare.slices) } : {}),
  };
}

/**
 * The pipeline routes of one configuration, built on first use (replay's view): gRPC routes share one
 * HTTP/2 session per upstream, closed by `close()`. The shadow threads build theirs per generation.
 */
export class PipelineRoutes {
  private readonly routes = new Map<string, PipelineRoute | undefined>();
  private channels: GrpcChannels | undefined;

  constructor(private readonly config: Config) {}

  /** The route of that name, or undefined when the configuration has none with shadow targets. */
  get(name: string): PipelineRoute | undefined {
    if (this.routes.has(name)) return this.routes.get(name);
    const r = this.config.routes.find((x) => x.name === name);
    let route: PipelineRoute | undefined;
    if (r?.shadow !== undefined) {
      const withShadow = r as RouteConfig & { shadow: ShadowConfig };
      const grpc = r.protocol === 'grpc' ? grpcCodec(r, (this.channels ??= new GrpcChannels(this.config.upstreams)), this.config.upstreams) : undefined;
      route = pipelineRoute(withShadow, grpc);
    }
    this.routes.set(name, route);
    return route;
  }

  close(): void {
    this.channels?.close();
  }
}
