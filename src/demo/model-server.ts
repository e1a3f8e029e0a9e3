// The demo models over HTTP: startDemoModel() serves one model on 127.0.0.1 (in-process), and run as a
// script (`node dist/src/demo/model-server.js --kind candidate --port 0`) it prints {"listening":PORT}
// when ready, so the demo and the benchmarks can run models in child processes.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ShadowgateError } from '../errors.js';
import { MODEL_NAME, decide, resolveModelOptions, type DemoModelOptions, type ServedAtMode } from './models.js';
import { CHAT_PATH, answerChat } from './llm.js';

export type { DemoModelOptions } from './models.js';

export interface DemoModelServer {
  readonly url: string;
  readonly port: number;
  /** Prediction requests received (answered, failed or held). */
  requests(): number;
  /** Stops listening and drops every connection, including requests it holds on purpose. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, JSON.stringify({ error: { code, message } }));
}

export async function startDemoModel(options: DemoModelOptions): Promise<DemoModelServer> {
  const o = resolveModelOptions(options);
  const name = MODEL_NAME[o.kind];
  let count = 0;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const answer = (req: IncomingMessage, res: ServerResponse, raw: Buffer): void => {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      sendError(res, 400, 'SG_ERR_BAD_REQUEST', 'the body must be JSON');
      return;
    }
    count++;
    if (req.url === CHAT_PATH) {
      answerChat(o.kind, body, res, timers, count);
      return;
    }
    const d = decide(o, raw, body, Date.now());
    if (d.kind === 'hang') return; // held until the client gives up or the server closes
    const idHeader = req.headers['x-request-id'];
    const requestId = typeof idHeader === 'string' && idHeader.length <= 128 ? idHeader : `${name}-${count}`;
    const reply = () => {
      timers.delete(timer);
      if (res.destroyed) return;
      if (d.kind === 'fail') {
        sendError(res, 500, 'SG_ERR_MODEL', 'injected model failure');
        return;
      }
      const p = d.prediction;
      const out: Record<string, unknown> = { model: name, prediction: p.prediction, score: p.score, reasons: p.reasons, request_id: requestId };
      if (d.servedAt !== undefined) out.served_at = d.servedAt;
      send(res, 200, JSON.stringify(out));
    };
    const timer = setTimeout(reply, d.delayMs);
    timers.add(timer);
  };

  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/healthz' || req.url === '/readyz')) {
      send(res, 200, JSON.stringify({ ok: true, model: name }));
      return;
    }
    if (req.method !== 'POST') {
      sendError(res, 405, 'SG_ERR_METHOD', 'POST a JSON transaction');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        sendError(res, 413, 'SG_ERR_BODY_TOO_LARGE', `request body exceeds ${MAX_BODY_BYTES} bytes`);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (size <= MAX_BODY_BYTES) answer(req, res, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new ShadowgateError('SG_ERR_DEMO_LISTEN', `demo ${o.kind} cannot listen on ${o.host}:${o.port}: ${err.code ?? err.message}`, 500, { cause: err })));
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${o.host}:${port}`,
    port,
    requests: () => count,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}

/** Options of the model-server command line (`--kind candidate --flip-rate 0.1 …`). */
export function parseModelArgs(argv: readonly string[]): DemoModelOptions & { exitOnStdinClose: boolean } {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      kind: { type: 'string', default: 'incumbent' },
      host: { type: 'string' },
      port: { type: 'string', default: '0' },
      'base-latency': { type: 'string' },
      'latency-factor': { type: 'string' },
      delay: { type: 'string' },
      'flip-rate': { type: 'string' },
      'score-drift': { type: 'string' },
      'served-at': { type: 'string' },
      'shuffle-reasons': { type: 'boolean' },
      'fail-rate': { type: 'string' },
      'hang-rate': { type: 'string' },
      seed: { type: 'string' },
      'exit-on-stdin-close': { type: 'boolean', default: false },
    },
  });
  const number = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new ShadowgateError('SG_ERR_DEMO_OPTIONS', `--${flag} expects a number, got "${v}"`, 400);
    return n;
  };
  const entries: [keyof DemoModelOptions, unknown][] = [
    ['kind', values.kind], ['host', values.host], ['port', number('port', values.port)],
    ['baseLatencyMs', number('base-latency', values['base-latency'])], ['latencyFactor', number('latency-factor', values['latency-factor'])],
    ['delayMs', number('delay', values.delay)], ['flipRate', number('flip-rate', values['flip-rate'])],
    ['scoreDrift', number('score-drift', values['score-drift'])], ['servedAt', values['served-at'] as ServedAtMode | undefined],
    ['shuffleReasons', values['shuffle-reasons']], ['failRate', number('fail-rate', values['fail-rate'])],
    ['hangRate', number('hang-rate', values['hang-rate'])], ['seed', number('seed', values.seed)],
  ];
  const opts = Object.fromEntries(entries.filter(([, v]) => v !== undefined)) as unknown as DemoModelOptions;
  resolveModelOptions(opts); // reject bad values here, with the flag's meaning in the message
  return { ...opts, exitOnStdinClose: values['exit-on-stdin-close'] === true };
}

async function main(): Promise<void> {
  let opts: ReturnType<typeof parseModelArgs>;
  try {
    opts = parseModelArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`model-server: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const server = await startDemoModel(opts);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // A parent that dies without killing us closes our stdin: never outlive the demo.
  if (opts.exitOnStdinClose) {
    process.stdin.on('end', stop);
    process.stdin.on('close', stop);
    process.stdin.resume();
  }
  process.stdout.write(`${JSON.stringify({ listening: server.port })}\n`);
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main().catch((err: unknown) => {
    process.stderr.write(`model-server: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
