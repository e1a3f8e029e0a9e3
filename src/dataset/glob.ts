// Dataset globs for replay at fleet scale (`--dataset 'data/replica-*/shadow*.jsonl*'`): `*` and `?`
// within one path segment, `[...]` classes, `**` for any depth. Expanded in sorted order, bounded.
import { readdir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';

/** Files a single glob may expand to: a typo like `/**` must not walk a whole disk into memory. */
export const MAX_GLOB_MATCHES = 10_000;

export function isGlob(path: string): boolean {
  return /[*?[]/.test(path);
}

function segmentRegex(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const ch = seg[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = seg.slice(i + 1, end).replace(/\\/g, '\\\\');
        re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The files and directories a glob matches, sorted; [] when none. */
export async function expandGlob(pattern: string): Promise<string[]> {
  const absolute = pattern.startsWith('/');
  const segs = pattern.split(/[\\/]+/).filter((s) => s !== '');
  const out: string[] = [];
  const walk = async (dir: string, i: number): Promise<void> => {
    if (out.length >= MAX_GLOB_MATCHES) return;
    if (i === segs.length) {
      // Literal segments were joined without looking: only what exists matches.
      if (await stat(dir).then(() => true, () => false)) out.push(dir);
      return;
    }
    const seg = segs[i]!;
    if (!isGlob(seg)) return walk(dir === '' ? seg : join(dir, seg), i + 1);
    let entries;
    try {
      entries = await readdir(dir === '' ? '.' : dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (seg === '**') {
      await walk(dir, i + 1);
      for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) await walk(dir === '' ? e.name : join(dir, e.name), i);
      return;
    }
    const re = segmentRegex(seg);
    for (const e of entries) {
      if (e.name.startsWith('.') && !seg.startsWith('.')) continue;
      if (re.test(e.name)) await walk(dir === '' ? e.name : join(dir, e.name), i + 1);
    }
  };
  await walk(absolute ? sep : '', 0);
  return [...new Set(out)];
}
