// A gRPC route's parts, built once per configuration generation: its methods (from the operator's .proto
// files or the OIP preset), the live forwarder with its grpc-status metric, and the preset's comparison rules.
// (The copy pipeline decodes, anonymizes and sends with src/pipeline/grpc.ts.)
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CompareConfig, RouteConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import type { Metrics } from '../observe/metrics.js';
import type { GrpcChannels } from './channels.js';
import { forwardGrpc } from './live.js';
import { loadProtos, type GrpcMethod } from './proto.js';
import { grpcStatusLabel } from './status.js';

/** The OIP method the preset is named for. */
export const OIP_MODEL_INFER = '/inference.GRPCInferenceService/ModelInfer';

/** config/proto/grpc_predict_v2.proto, from src/ or dist/src/. */
export function oipProtoPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'config', 'proto', 'grpc_predict_v2.proto');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new ConfigError(['grpc.preset oip: config/proto/grpc_predict_v2.proto is missing from the installation']);
}

/**
 * OIP answers: the id and the model's name and version differ by design; float tensors compare within a
 * tolerance (raw_output_contents are bytes and compare exactly). The route's own rules add to these.
 */
export function withOipRules(cfg: Readonly<CompareConfig>): CompareConfig {
  const tol = { abs: 1e-4, rel: 1e-3 };
  return {
    ...cfg,
    ignore: [...new Set(['$.id', '$.model_name', '$.model_version', ...cfg.ignore])],
    tolerance: {
      '$.outputs[*].contents.fp32_contents[*]': tol,
      '$.outputs[*].contents.fp64_contents[*]': tol,
      ...cfg.tolerance,
    },
  };
}

export function grpcMethods(route: RouteConfig): Map<string, GrpcMethod> {
  const g = route.grpc;
  const files = [...(g?.preset === 'oip' ? [oipProtoPath()] : []), ...(g?.protos ?? [])];
  try {
    return loadProtos(files, g?.includeDirs ?? []);
  } catch (err) {
    throw new ConfigError([`routes.${route.name}.grpc.protos: ${(err as Error).message}`]);
  }
}

/** The live forwarder: the call over HTTP/2, its grpc-status counted per route and upstream. */
/** What the proxy needs of a gRPC route: forward one call with its deadline, report the HTTP status. */
export interface LiveGrpc {
  forward(upstream: string, req: IncomingMessage, res: ServerResponse, body: Buffer,
    opts: { requestId: string; timeoutMs: number; proto: 'http' | 'https'; traceparent?: string }, done: (status: number) => void): void;
}

export function liveGrpc(route: string, channels: GrpcChannels, metrics: Metrics): LiveGrpc {
  const counters = new Map<string, { inc(): void }>();
  return {
    forward(upstream, req, res, body, opts, done) {
      forwardGrpc(channels.session(upstream), req, res, body, opts, (o) => {
        const label = grpcStatusLabel(o.grpcStatus);
        const key = `${upstream}|${label}`;
        let c = counters.get(key);
        if (!c) counters.set(key, (c = metrics.grpcResponses.labels(route, upstream, label)));
        c.inc();
        done(o.status);
      });
    },
  };
}
