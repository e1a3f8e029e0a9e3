// A Redis fleet's experiment cuts every replica's dataset file (`ledger.stream: redis`, docs/lineage.md):
// the replica whose admin API starts or concludes an experiment publishes a cut request on
// `<keyPrefix>ledger:cut`; every other replica cuts and seals its file in progress, forwards the
// `dataset.rotated` entry of the files it sealed since the start to the ledger inbox, and acknowledges on
// the list `<keyPrefix>ledger:cut:<id>` (first "cutting", then "done" with its files). The requester waits
// for as many "done" as PUBLISH reached replicas, up to a deadline; a replica that began but did not finish
// in time is named as missing, one that never answered is counted.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DatasetRef } from '../ledger/ledger.js';

/** What a replica is asked: cut your file, and (at a conclusion) name the files sealed since the start. */
export interface CutRequest {
  readonly id: string;
  readonly type: 'started' | 'concluded';
  readonly experiment: string;
  readonly from: string;
  /** When the experiment started (a replica that lost its start position picks files by time range). */
  readonly startedAt?: string;
}

/** A replica's answer: whether it records, and its files sealed since the start (concluded). */
export interface CutAnswer {
  readonly replica: string;
  readonly recording: boolean;
  readonly datasets: readonly DatasetRef[];
}

export interface FleetCutResult {
  readonly answered: readonly CutAnswer[];
  /** Replicas that took the request but did not finish in time. */
  readonly missing: readonly string[];
  /** Replicas the request reached that did not answer and are not named in `missing` (not known by name). */
  readonly unanswered: number;
}

interface Ack {
  readonly replica: string;
  readonly state: 'cutting' | 'done';
  readonly recording?: boolean;
  readonly datasets?: DatasetRef[];
}

/** How long an acknowledgement list stays in Redis after its last answer. */
const ACK_TTL_MS = 10 * 60_000;
/** How often the requester reads the acknowledgements while it waits. */
const POLL_MS = 25;

export class FleetCuts {
  private readonly channel: string;
  private subscribed = false;
  private closed = false;

  constructor(
    private readonly cmd: Redis,
    private readonly sub: Redis,
    private readonly prefix: string,
    private readonly replica: () => string,
    private readonly answer: (req: CutRequest) => Promise<Omit<CutAnswer, 'replica'>>,
    private readonly onError: (err: unknown) => void,
  ) {
    this.channel = `${prefix}ledger:cut`;
    sub.on('message', (channel: string, text: string) => {
      if (channel !== this.channel) return;
      let req: CutRequest;
      try {
        req = JSON.parse(text) as CutRequest;
      } catch {
        return;
      }
      if (req.from !== this.replica()) void this.reply(req).catch(onError);
    });
    void sub.subscribe(this.channel).then(() => { this.subscribed = true; }, onError);
  }

  private ackKey(id: string): string {
    return `${this.prefix}ledger:cut:${id}`;
  }

  private async reply(req: CutRequest): Promise<void> {
    const key = this.ackKey(req.id);
    const me = this.replica();
    await this.cmd.rpush(key, JSON.stringify({ replica: me, state: 'cutting' } satisfies Ack));
    const a = await this.answer(req);
    await this.cmd.rpush(key, JSON.stringify({ replica: me, state: 'done', recording: a.recording, datasets: [...a.datasets] } satisfies Ack));
    await this.cmd.pexpire(key, ACK_TTL_MS);
  }

  /** Asks every other replica to cut; resolves with their answers once all are in or `timeoutMs` passed. */
  async request(type: CutRequest['type'], experiment: string, startedAt: string | undefined, timeoutMs: number, peers: readonly string[] = []): Promise<FleetCutResult> {
    const req: CutRequest = { id: randomUUID(), type, experiment, from: this.replica(), ...(startedAt !== undefined ? { startedAt } : {}) };
    const reached = await this.cmd.publish(this.channel, JSON.stringify(req));
    // PUBLISH counts this replica's own subscription too (it ignores its own request).
    const expected = Math.max(0, reached - (this.subscribed ? 1 : 0));
    const known = new Set(peers);
    const key = this.ackKey(req.id);
    const deadline = Date.now() + timeoutMs;
    let acks: Ack[] = [];
    for (;;) {
      acks = (await this.cmd.lrange(key, 0, -1)).map((t) => JSON.parse(t) as Ack);
      const finished = new Set(acks.filter((a) => a.state === 'done').map((a) => a.replica));
      if ((finished.size >= expected && [...known].every((r) => finished.has(r))) || Date.now() >= deadline || this.closed) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    await this.cmd.pexpire(key, ACK_TTL_MS).catch(() => undefined);
    const done = new Map(acks.filter((a) => a.state === 'done').map((a) => [a.replica, a]));
    const began = new Set(acks.map((a) => a.replica));
    // Named: a known replica (fresh evidence) or one that began, without its answer; counted: others reached.
    const missing = [...new Set([...known, ...began])].filter((r) => !done.has(r)).sort();
    return {
      answered: [...done.values()].map((a) => ({ replica: a.replica, recording: a.recording === true, datasets: a.datasets ?? [] })),
      missing,
      unanswered: Math.max(0, expected - done.size - missing.length),
    };
  }

  close(): void {
    this.closed = true;
    this.sub.disconnect();
  }
}
