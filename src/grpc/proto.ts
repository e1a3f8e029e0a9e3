// The operator's .proto files, loaded with protobufjs (field names kept as written, so policy and compare
// paths use the proto's own names): a method by its gRPC path, and its messages turned into JSON and back.
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type protobufTypes from 'protobufjs';
import { frame, parseFrames } from './framing.js';

/** protobufjs is loaded with the first .proto (a gRPC route), not at import: a proxy without one never holds it. */
const requireCjs = createRequire(import.meta.url);
let loaded: typeof protobufTypes | undefined;
const protobufjs = (): typeof protobufTypes => (loaded ??= requireCjs('protobufjs') as typeof protobufTypes);

export interface GrpcMethod {
  /** `/package.Service/Method` */
  readonly path: string;
  readonly requestType: protobufTypes.Type;
  readonly responseType: protobufTypes.Type;
  readonly clientStreaming: boolean;
  readonly serverStreaming: boolean;
}

/** How decoded messages become JSON: 64-bit integers and enums as strings, bytes as base64, defaults present. */
const TO_JSON: protobufTypes.IConversionOptions = { longs: String, enums: String, bytes: String, defaults: true, arrays: true, objects: true, json: true };

/** Loads the files (imports resolved against includeDirs, then the importing file's directory). */
export function loadProtos(files: readonly string[], includeDirs: readonly string[] = []): Map<string, GrpcMethod> {
  const protobuf = protobufjs();
  const root = new protobuf.Root();
  root.resolvePath = (origin: string, target: string) => {
    if (isAbsolute(target)) return target;
    for (const dir of includeDirs) {
      const p = join(dir, target);
      if (existsSync(p)) return p;
    }
    return protobuf.util.path.resolve(origin, target);
  };
  root.loadSync(files.map((f) => resolve(f)), { keepCase: true });
  root.resolveAll();
  const methods = new Map<string, GrpcMethod>();
  const visit = (ns: protobufTypes.NamespaceBase) => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Service) {
        const service = obj.fullName.replace(/^\./, '');
        for (const m of obj.methodsArray) {
          m.resolve();
          const path = `/${service}/${m.name}`;
          methods.set(path, {
            path,
            requestType: m.resolvedRequestType!,
            responseType: m.resolvedResponseType!,
            clientStreaming: m.requestStream === true,
            serverStreaming: m.responseStream === true,
          });
        }
      } else if (obj instanceof protobuf.Namespace) {
        visit(obj);
      }
    }
  };
  visit(root);
  return methods;
}

export type Decoded = { ok: true; json: Buffer } | { ok: false; reason: 'unsupported' | 'error'; detail: string };

/** A framed body as JSON: the message itself, or `{"messages":[...]}` for a stream of them. */
export function decodeBody(type: protobufTypes.Type, body: Buffer, streamed: boolean, maxMessages: number): Decoded {
  const frames = parseFrames(body, maxMessages);
  if (frames.compressed) return { ok: false, reason: 'unsupported', detail: 'compressed gRPC messages are not decoded' };
  if (frames.rest !== 0) return { ok: false, reason: 'error', detail: 'the body ends inside a gRPC frame' };
  try {
    const objects = frames.messages.map((m) => type.toObject(type.decode(m), TO_JSON));
    if (!streamed && objects.length !== 1) return { ok: false, reason: 'error', detail: `expected one message, found ${objects.length}` };
    return { ok: true, json: Buffer.from(JSON.stringify(streamed ? { messages: objects } : objects[0])) };
  } catch (err) {
    return { ok: false, reason: 'error', detail: `not a ${type.fullName} message: ${(err as Error).message}` };
  }
}

/** JSON (as decodeBody made it, then anonymized) back into a framed body. */
export function encodeBody(type: protobufTypes.Type, json: Buffer, streamed: boolean): Buffer {
  const doc = JSON.parse(json.toString('utf8')) as unknown;
  const list = streamed ? (doc as { messages: unknown[] }).messages : [doc];
  return frame(list.map((o) => {
    const msg = type.fromObject(o as Record<string, unknown>);
    return type.encode(msg).finish();
  }));
}
