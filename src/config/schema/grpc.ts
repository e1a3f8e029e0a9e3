// Config schema of gRPC routes (`routes[].protocol: grpc` with `routes[].grpc`). Owned by src/grpc/.
import { z } from 'zod';

export const grpcRouteSchema = z.object({
  /** The operator's .proto files: shadow copies are decoded with them, anonymized as JSON, encoded again. */
  protos: z.array(z.string().min(1)).default([]),
  /** Where imports are looked up (before the importing file's directory). */
  includeDirs: z.array(z.string().min(1)).default([]),
  /** oip: the Open Inference Protocol (inference.GRPCInferenceService, bundled proto) and its compare rules. */
  preset: z.enum(['oip']).optional(),
  /** Messages decoded per call at most (a server stream longer than this is cut for the comparison). */
  maxMessages: z.number().int().positive().max(100_000).default(1000),
}).strict();
export type GrpcRouteConfig = z.infer<typeof grpcRouteSchema>;

export const routeProtocol = z.enum(['http', 'grpc']).optional();

/** A gRPC route needs messages to decode (protos or a preset); the grpc block needs protocol grpc. */
export function grpcProblems(route: Record<string, unknown>, path: readonly (string | number)[]): { path: (string | number)[]; message: string }[] {
  const grpc = route.grpc as { protos?: unknown; preset?: unknown } | undefined;
  if (route.protocol === 'grpc') {
    const protos = Array.isArray(grpc?.protos) ? grpc.protos : [];
    if (protos.length === 0 && grpc?.preset === undefined) return [{ path: [...path, 'grpc'], message: 'a gRPC route needs grpc.protos (the .proto files) or grpc.preset' }];
  } else if (grpc !== undefined) {
    return [{ path: [...path, 'protocol'], message: 'grpc settings need protocol: grpc' }];
  }
  return [];
}
