// Demo models in child processes: spawn the compiled model-server script, wait for its
// {"listening":PORT} line, and stop it for sure (SIGTERM, then SIGKILL), so no process outlives the demo.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ShadowgateError } from '../errors.js';
import { resolveModelOptions, type DemoModelOptions } from './models.js';

export interface ChildModel {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  close(): Promise<void>;
}

/** The compiled model-server script next to this module, or undefined when running from TypeScript sources. */
export function modelServerScript(): string | undefined {
  const url = new URL('./model-server.js', import.meta.url);
  if (!import.meta.url.endsWith('.js')) return undefined;
  const file = fileURLToPath(url);
  return existsSync(file) ? file : undefined;
}

/** The command-line flags that make model-server.js serve these options. */
export function modelArgs(opts: DemoModelOptions): string[] {
  const o = resolveModelOptions(opts);
  const args = ['--kind', o.kind, '--host', o.host, '--port', String(o.port), '--base-latency', String(o.baseLatencyMs),
    '--latency-factor', String(o.latencyFactor), '--delay', String(o.delayMs), '--flip-rate', String(o.flipRate),
    '--score-drift', String(o.scoreDrift), '--served-at', o.servedAt, '--fail-rate', String(o.failRate),
    '--hang-rate', String(o.hangRate), '--seed', String(o.seed)];
  if (o.shuffleReasons) args.push('--shuffle-reasons');
  return args;
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function spawnDemoModel(opts: DemoModelOptions, spawnOpts: { script?: string; startTimeoutMs?: number } = {}): Promise<ChildModel> {
  const script = spawnOpts.script ?? modelServerScript();
  if (script === undefined) throw new ShadowgateError('SG_ERR_DEMO_BUILD', 'the compiled model server (dist/src/demo/model-server.js) is missing: run npm run build', 500);
  const child = spawn(process.execPath, [script, ...modelArgs(opts), '--exit-on-stdin-close'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    if (stderr.length < 4096) stderr += s;
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await waitExit(child);
      clearTimeout(killer);
    }
    child.stdin?.destroy();
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new ShadowgateError('SG_ERR_DEMO_START', `demo ${opts.kind} did not start within ${spawnOpts.startTimeoutMs ?? 10_000} ms`, 500)), spawnOpts.startTimeoutMs ?? 10_000);
      child.stdout!.setEncoding('utf8').on('data', (s: string) => {
        out += s;
        const m = /\{"listening":(\d+)\}/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new ShadowgateError('SG_ERR_DEMO_START', `demo ${opts.kind} exited with code ${code}: ${stderr.trim()}`, 500));
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new ShadowgateError('SG_ERR_DEMO_START', `cannot start demo ${opts.kind}: ${err.message}`, 500, { cause: err }));
      });
    });
    child.stdout!.resume();
    return { url: `http://${opts.host ?? '127.0.0.1'}:${port}`, port, pid: child.pid!, close: stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
