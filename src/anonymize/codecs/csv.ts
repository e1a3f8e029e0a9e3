// CSV (RFC 4180) and TSV: a small linear reader (no library fits a bounded in-place rewrite better than
// forty lines). The header row names the columns: each record is a document whose fields are its cells,
// `$.<column>`, so `$.dob` or a `date_of_birth` column is handled by the same field rules and key-name
// classifier as JSON. A first row that does not look like a header (a value a detector finds, a number)
// is data, and no cell has a key. Quoting is kept where it was, added where a new value needs it.
import type { FieldRules } from '../json-body.js';
import type { Run } from '../run.js';
import { scanText } from '../scan.js';
import { childScope, fieldValue, MAX_NODES, rootScope } from './fields.js';

interface Row { readonly cells: string[]; readonly quoted: boolean[] }

/** Rows and the line ending, or a message saying why the text is not CSV. */
function parse(text: string, delim: string): { rows: Row[]; eol: string; trailing: boolean } | string {
  const rows: Row[] = [];
  let eol = '';
  let cells: string[] = [];
  let quoted: boolean[] = [];
  let i = 0;
  const n = text.length;
  let cellCount = 0;
  while (i <= n) {
    let value: string;
    let q = false;
    if (text[i] === '"') {
      q = true;
      let out = '';
      let j = i + 1;
      for (;;) {
        const close = text.indexOf('"', j);
        if (close < 0) return 'an unterminated quoted field';
        out += text.slice(j, close);
        if (text[close + 1] === '"') { out += '"'; j = close + 2; continue; }
        i = close + 1;
        break;
      }
      value = out;
      if (i < n && text[i] !== delim && text[i] !== '\n' && text[i] !== '\r') return 'text after a closing quote';
    } else {
      let j = i;
      while (j < n && text[j] !== delim && text[j] !== '\n' && text[j] !== '\r') j++;
      value = text.slice(i, j);
      i = j;
    }
    cells.push(value);
    quoted.push(q);
    if (++cellCount > MAX_NODES) return `more than ${MAX_NODES} cells`;
    if (i < n && text[i] === delim) { i++; continue; }
    // End of a record.
    rows.push({ cells, quoted });
    cells = [];
    quoted = [];
    if (i >= n) break;
    const crlf = text[i] === '\r' && text[i + 1] === '\n';
    if (eol === '') eol = crlf ? '\r\n' : text[i]!;
    i += crlf ? 2 : 1;
    if (i >= n) return { rows, eol, trailing: true };
  }
  return { rows, eol: eol === '' ? '\n' : eol, trailing: false };
}

const NUMBER = /^[\d\s.,+-]*$/;

function looksLikeHeader(row: Row): boolean {
  return row.cells.every((c) => c.trim() !== '' && !NUMBER.test(c) && scanText(c, { names: false }).length === 0);
}

function write(value: string, wasQuoted: boolean, delim: string): string {
  if (wasQuoted || value.includes(delim) || value.includes('"') || value.includes('\n') || value.includes('\r')) {
    return `"${value.replace(/"/g, '""')}"`;
  }
  return value;
}

/** The anonymized table, or undefined once run.fail says why not. */
export function anonymizeCsv(run: Run, f: FieldRules, text: string, comma: string): string | undefined {
  // Spreadsheets in comma-decimal locales write `;` under text/csv: the first line tells.
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  const delim = comma === ',' && !first.includes(',') && first.includes(';') ? ';' : comma;
  const parsed = parse(text, delim);
  if (typeof parsed === 'string') {
    if (parsed.startsWith('more than')) run.fail('scan_limit', `the table has ${parsed}`);
    else run.fail('malformed_body', `the ${delim === '\t' ? 'TSV' : 'CSV'} body is malformed: ${parsed}`);
    return undefined;
  }
  const { rows, eol, trailing } = parsed;
  const header = rows.length > 1 && looksLikeHeader(rows[0]!) ? rows[0]!.cells : undefined;
  const root = rootScope(f);
  const scopes = header?.map((h) => childScope(f, root, h.trim()));
  const lines: string[] = [];
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    if (r === 0 && header !== undefined) {
      // Column names are kept as written (like JSON keys); the guard reads them.
      for (const h of header) run.guard(h);
      lines.push(row.cells.map((c, k) => write(c, row.quoted[k]!, delim)).join(delim));
      continue;
    }
    const out: string[] = [];
    for (let k = 0; k < row.cells.length; k++) {
      const cell = row.cells[k]!;
      const key = header?.[k]?.trim();
      const v = cell === '' ? '' : fieldValue(run, f, scopes?.[k] ?? childScope(f, root, k), cell, key) ?? '';
      out.push(v === cell ? write(cell, row.quoted[k]!, delim) : write(v, row.quoted[k]!, delim));
    }
    lines.push(out.join(delim));
    if (run.failure !== undefined) return undefined;
  }
  return lines.join(eol) + (trailing ? eol : '');
}
