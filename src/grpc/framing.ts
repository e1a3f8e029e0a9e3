// gRPC's length-prefixed messages (PROTOCOL-HTTP2.md): 1 byte compressed flag, 4 bytes big-endian length,
// then the message. Pure; bounded by the caller's message count.

export interface Frames {
  readonly messages: Buffer[];
  /** A message had the compressed flag (grpc-encoding); its bytes are not a protobuf message. */
  readonly compressed: boolean;
  /** Bytes left that do not make a whole frame (a cut body). */
  readonly rest: number;
}

export function parseFrames(body: Buffer, maxMessages = 10_000): Frames {
  const messages: Buffer[] = [];
  let compressed = false;
  let pos = 0;
  while (pos + 5 <= body.length && messages.length < maxMessages) {
    const flag = body[pos]!;
    const len = body.readUInt32BE(pos + 1);
    if (pos + 5 + len > body.length) break;
    if (flag !== 0) compressed = true;
    messages.push(body.subarray(pos + 5, pos + 5 + len));
    pos += 5 + len;
  }
  return { messages, compressed, rest: body.length - pos };
}

export function frame(messages: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (const m of messages) size += 5 + m.length;
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const m of messages) {
    out[pos] = 0;
    out.writeUInt32BE(m.length, pos + 1);
    out.set(m, pos + 5);
    pos += 5 + m.length;
  }
  return out;
}
