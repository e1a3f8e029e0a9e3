// Raw HTTP/1.1 over a plain TCP socket, for what no HTTP client will send (absolute-form targets,
// duplicate Host, Connection-named fields, half-sent heads and bodies) or how none behaves (stops reading).
import net from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  /** Every field line as received, in order (lower-case names). */
  fields: [string, string][];
  body: string;
}

/** Connects to 127.0.0.1:port; resolves once connected. */
export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Parses one response from the bytes received so far, or undefined when it is not complete yet. */
function parse(buf: Buffer): RawAnswer | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(lines[0]!.split(' ')[1]);
  const fields: [string, string][] = lines.slice(1).map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
  });
  const headers = Object.fromEntries(fields);
  const body = buf.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = body.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (body.length < lineEnd + 2 + size + 2) return undefined;
      if (size === 0) return { status, headers, fields, body: Buffer.concat(parts).toString('utf8') };
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
  const length = Number(headers['content-length'] ?? 0);
  if (body.length < length) return undefined;
  return { status, headers, fields, body: body.subarray(0, length).toString('utf8') };
}

/** Resolves with the first complete response read from the socket (rejects if it closes first). */
export function readAnswer(s: net.Socket): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const a = parse(buf);
      if (a !== undefined) {
        s.off('data', onData);
        s.off('close', onClose);
        resolve(a);
      }
    };
    const onClose = () => reject(new Error(`connection closed before a full answer (${buf.length} bytes: ${buf.subarray(0, 80).toString('latin1')})`));
    s.on('data', onData);
    s.once('close', onClose);
  });
}

/** Sends `text` on a fresh connection and resolves with the answer; the socket is closed after. */
export async function raw(port: number, text: string | Buffer): Promise<RawAnswer> {
  const s = await connect(port);
  try {
    const answer = readAnswer(s);
    s.write(text);
    return await answer;
  } finally {
    s.destroy();
  }
}

/** Resolves when the peer closes the socket. */
export function closed(s: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed || s.readableEnded) resolve();
    else s.once('close', () => resolve());
  });
}
