// The audit trail: every admin mutation and every automatic rollout change, appended as one JSON line
// to its own file (written and fdatasynced before the caller answers), logged, and kept in a bounded
// in-memory tail for GET /admin/audit.
import { closeSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { describeRollback, type RollbackReason } from '../routing/rollout.js';
import type { RoutingEvent } from '../routing/runtime.js';

export interface AuditRecord {
  readonly time: string;
  readonly token: string;
  readonly role: string;
  readonly source: string;
  readonly action: string;
  readonly route: string | null;
  readonly before: unknown;
  readonly after: unknown;
  /** `ok`, or the error code of a refused action. */
  readonly result: string;
  readonly reason?: unknown;
  /** The record in plain words (describeAudit), written with it. */
  readonly summary?: string;
}

const ACTION_WORDS: Readonly<Record<string, string>> = {
  'canary.set': 'set the canary weight of', 'canary.clear': 'cleared the runtime canary weight of', 'canary.rollback': 'rolled back the canary of',
  'canary.promote': 'promoted the canary of', 'canary.pause': 'paused the rollout of', 'canary.resume': 'resumed the rollout of',
  'config.reload': 'reloaded the configuration', rollback: 'rolled back the canary of', 'rollout.advance': 'advanced the rollout of',
  'rollout.complete': 'completed the rollout of',
  'experiment.propose': 'proposed an experiment', 'experiment.approve': 'approved the experiment', 'experiment.start': 'started the experiment',
  'experiment.conclude': 'concluded the experiment', 'experiment.override': 'overrode the experiment gate of',
};

function snapshotWords(before: unknown, after: unknown): string {
  const b = before as { weight?: unknown; state?: unknown } | null;
  const a = after as { weight?: unknown; state?: unknown } | null;
  if (!b || !a || typeof b !== 'object' || typeof a !== 'object') return '';
  if (b.weight === undefined && a.weight === undefined) return `: state ${String(b.state)} → ${String(a.state)}`;
  return `: weight ${String(b.weight)}% → ${String(a.weight)}%, state ${String(b.state)} → ${String(a.state)}`;
}

function isRollbackReason(r: unknown): r is RollbackReason {
  return typeof r === 'object' && r !== null && typeof (r as { metric?: unknown }).metric === 'string' && typeof (r as { at?: unknown }).at === 'number';
}

/**
 * An audit record in plain words: "ops (operator, from 127.0.0.1) rolled back the canary of predict:
 * weight 20% → 0%, state running → rolled_back", an automatic change with its evidence, a refusal with
 * its code.
 */
export function describeAudit(rec: AuditRecord): string {
  const who = rec.role === 'system' ? 'shadowgate (automatic)' : `${rec.token} (${rec.role}, from ${rec.source})`;
  const what = ACTION_WORDS[rec.action] ?? rec.action;
  const target = rec.route === null ? '' : ` ${rec.route}`;
  if (rec.result !== 'ok') return `${who} tried: ${what}${target}; refused (${rec.result})`;
  const why = isRollbackReason(rec.reason) ? `; ${describeRollback(rec.reason)}` : typeof rec.reason === 'string' ? `; reason: ${rec.reason}` : '';
  return `${who} ${what}${target}${snapshotWords(rec.before, rec.after)}${why}`;
}

/** Records kept in memory for GET /admin/audit; older ones stay in the file. */
export const AUDIT_MEMORY = 1000;
/** How much of an existing file is read back at start to fill the in-memory tail. */
const TAIL_BYTES = 512 * 1024;

export class AuditLog {
  private readonly recent: AuditRecord[] = [];
  private handle: Promise<FileHandle> | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(readonly path: string, private readonly log: Logger) {
    this.loadTail();
  }

  private loadTail(): void {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return;
    }
    try {
      const size = fstatSync(fd).size;
      const len = Math.min(size, TAIL_BYTES);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, size - len);
      const lines = buf.toString('utf8').split('\n');
      if (len < size) lines.shift(); // the first line is probably cut
      for (const line of lines) {
        if (line.trim() === '') continue;
        try {
          this.remember(JSON.parse(line) as AuditRecord);
        } catch {
          // A torn last line from a crash: the complete records before it still count.
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  private remember(rec: AuditRecord): void {
    this.recent.push(rec);
    if (this.recent.length > AUDIT_MEMORY) this.recent.splice(0, this.recent.length - AUDIT_MEMORY);
  }

  /** Appends one record; resolves once it is on disk. Records are written in call order. */
  append(record: AuditRecord): Promise<void> {
    const rec: AuditRecord = { ...record, summary: record.summary ?? describeAudit(record) };
    this.remember(rec);
    this.log.info({ audit: rec }, `audit: ${rec.summary}`);
    const line = `${JSON.stringify(rec)}\n`;
    const write = this.chain.then(async () => {
      this.handle ??= (async () => {
        mkdirSync(dirname(this.path), { recursive: true });
        return open(this.path, 'a', 0o600);
      })();
      const fh = await this.handle;
      await fh.appendFile(line);
      await fh.datasync();
    });
    // The chain survives a failed write (the caller sees the failure; the next record still goes out).
    this.chain = write.catch(() => undefined);
    return write;
  }

  /** The latest `limit` records, newest last. */
  latest(limit: number): AuditRecord[] {
    return this.recent.slice(Math.max(0, this.recent.length - limit));
  }

  async close(): Promise<void> {
    await this.chain;
    const h = this.handle;
    this.handle = undefined;
    if (h !== undefined) await (await h).close();
  }
}

/** The routing runtime's automatic changes, as audit records (wire as RoutingRuntimeOptions.onEvent). */
export function auditRoutingEvents(audit: Pick<AuditLog, 'append'>, log: Logger): (event: RoutingEvent) => void {
  return (e) => {
    audit.append({
      time: new Date().toISOString(), token: e.actor.token, role: e.actor.role, source: e.actor.source,
      action: e.action, route: e.route, before: e.before, after: e.after, result: 'ok', reason: e.reason,
    }).catch((err: unknown) => log.error({ err: (err as Error).message, route: e.route }, 'audit record could not be written'));
  };
}
