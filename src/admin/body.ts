// An admin call's JSON body, bounded (the admin bodies are small); an empty body reads as {}.
import type { IncomingMessage } from 'node:http';
import { errors } from '../errors.js';

export const MAX_BODY_BYTES = 16 * 1024;

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw errors.bodyTooLarge(MAX_BODY_BYTES);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw errors.badRequest('the body is not valid JSON');
  }
}

