// The corpus's format table: how a record of fields is written in each body format the codecs read
// (with the format's own escapes chosen at random: character references in HTML and XML, percent-encoding
// in forms, quoting in CSV and YAML), where raw values could still hide in an output (its decoded views),
// and what "the same format, the same shape" means for it. One entry per codec (src/anonymize/codecs/).
import { decodeHTML, decodeXML } from 'entities';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

export interface Field { readonly key: string; readonly value: string }

export interface FormatSpec {
  readonly name: string;
  readonly contentType: string | undefined;
  /** Carries named fields (else only free text: the prose of each entity). */
  readonly keyed: boolean;
  /** The body for these fields; `seed` picks which characters are escaped where the format can escape. */
  render(fields: readonly Field[], seed: number): string;
  /** The output as a reader of the format would see its text (references and escapes decoded). */
  views(out: string): string[];
  /** Throws unless `out` is the same format as `input` with the same shape. */
  check(out: string, input: string): void;
}

/** A small deterministic stream of choices from a seed (fast-check picks the seed, so failures replay). */
function chooser(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
}

/** Some characters written as character references: decimal, hex, or (HTML) named. */
function references(text: string, seed: number, html: boolean): string {
  const next = chooser(seed);
  let out = '';
  for (const ch of text) {
    const r = next();
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (r < 0.15) out += `&#${ch.codePointAt(0)!};`;
    else if (r < 0.3) out += `&#x${ch.codePointAt(0)!.toString(16)};`;
    else if (html && r < 0.5 && ch === '@') out += '&commat;';
    else if (html && r < 0.5 && ch === '.') out += '&period;';
    else if (html && r < 0.5 && ch === ' ') out += '&#32;';
    else out += ch;
  }
  return out;
}

function expectEqual(a: unknown, b: unknown, what: string): void {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  if (x !== y) throw new Error(`${what}: ${x} !== ${y}`);
}

const tags = (s: string) => s.match(/<\/?[A-Za-z][\w:.-]*/g) ?? [];
const same = (s: string) => [s];

function csvLine(cells: readonly string[], delim: string, seed: number): string {
  const next = chooser(seed);
  return cells.map((c) => (next() < 0.5 || c.includes(delim) || c.includes('"') ? `"${c.replace(/"/g, '""')}"` : c)).join(delim);
}

function csv(name: string, type: string, delim: string): FormatSpec {
  return {
    name, contentType: type, keyed: true,
    render: (fields, seed) => `${fields.map((f) => f.key).join(delim)}\r\n${csvLine(fields.map((f) => f.value), delim, seed)}\r\n`,
    views: same,
    check: (out, input) => {
      const lines = out.split('\r\n');
      expectEqual(lines.length, input.split('\r\n').length, 'rows');
      expectEqual(lines[0], input.split('\r\n')[0], 'header');
    },
  };
}

function ndjson(name: string, type: string | undefined, sep: string): FormatSpec {
  return {
    name, contentType: type, keyed: true,
    render: (fields) => [...fields.map((f) => JSON.stringify({ [f.key]: f.value })), JSON.stringify(Object.fromEntries(fields.map((f) => [f.key, f.value])))]
      .map((l) => `${sep === '\u001e' ? sep : ''}${l}\n`).join(''),
    views: same,
    check: (out, input) => {
      const a = out.split('\n').filter((l) => l.trim() !== '').map((l) => Object.keys(JSON.parse(l.replace(/^\u001e/, '')) as object));
      const b = input.split('\n').filter((l) => l.trim() !== '').map((l) => Object.keys(JSON.parse(l.replace(/^\u001e/, '')) as object));
      expectEqual(a, b, 'records');
    },
  };
}

const xmlBody = (fields: readonly Field[], seed: number, open: string, close: string) =>
  `${open}<record>${fields.map((f, i) => `<${f.key}>${references(f.value, seed + i, false)}</${f.key}>`).join('')}</record>${close}`;

export const FORMATS: readonly FormatSpec[] = [
  {
    name: 'json', contentType: 'application/json', keyed: true,
    render: (fields) => JSON.stringify(Object.fromEntries(fields.map((f) => [f.key, f.value]))),
    views: same,
    check: (out, input) => expectEqual(Object.keys(JSON.parse(out) as object), Object.keys(JSON.parse(input) as object), 'keys'),
  },
  ndjson('ndjson', 'application/x-ndjson', '\n'),
  ndjson('jsonl', 'application/jsonl', '\n'),
  ndjson('json-seq', 'application/json-seq', '\u001e'),
  {
    name: 'form', contentType: 'application/x-www-form-urlencoded', keyed: true,
    render: (fields) => new URLSearchParams(fields.map((f): [string, string] => [f.key, f.value])).toString(),
    views: (out) => [out, ...[...new URLSearchParams(out).values()]],
    check: (out, input) => expectEqual([...new URLSearchParams(out).keys()], [...new URLSearchParams(input).keys()], 'names'),
  },
  {
    name: 'multipart', contentType: 'multipart/form-data; boundary=corpus-b0undary', keyed: true,
    render: (fields, seed) => `${fields.map((f, i) => ((seed + i) % 3 === 0
      ? `--corpus-b0undary\r\nContent-Disposition: form-data; name="${f.key}"; filename="${f.key}.txt"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${f.value}\r\n`
      : (seed + i) % 3 === 1
        ? `--corpus-b0undary\r\nContent-Disposition: form-data; name="${f.key}"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify({ [f.key]: f.value })}\r\n`
        : `--corpus-b0undary\r\nContent-Disposition: form-data; name="${f.key}"\r\n\r\n${f.value}\r\n`)).join('')}--corpus-b0undary--\r\n`,
    views: same,
    check: (out, input) => {
      const names = (s: string) => [...s.matchAll(/name="([^"]*)"/g)].map((m) => m[1]);
      expectEqual(names(out), names(input), 'parts');
      if (!out.endsWith('--corpus-b0undary--\r\n')) throw new Error('no closing boundary');
    },
  },
  {
    name: 'xml', contentType: 'application/xml', keyed: true,
    render: (fields, seed) => xmlBody(fields, seed, '<?xml version="1.0"?>', ''),
    views: (out) => [out, decodeXML(out)],
    check: (out, input) => expectEqual(tags(out), tags(input), 'elements'),
  },
  {
    name: 'soap', contentType: 'application/soap+xml; charset=utf-8', keyed: true,
    render: (fields, seed) => xmlBody(fields, seed, '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>', '</s:Body></s:Envelope>'),
    views: (out) => [out, decodeXML(out)],
    check: (out, input) => expectEqual(tags(out), tags(input), 'elements'),
  },
  {
    name: 'html', contentType: 'text/html', keyed: false,
    render: (fields, seed) => `<!doctype html><html><body>${fields.map((f, i) => `<p class="msg">${references(f.value, seed + i, true)}</p>`).join('\n')}</body></html>`,
    views: (out) => [out, decodeHTML(out)],
    check: (out, input) => expectEqual(tags(out), tags(input), 'elements'),
  },
  csv('csv', 'text/csv', ','),
  csv('tsv', 'text/tab-separated-values', '\t'),
  {
    name: 'yaml', contentType: 'application/yaml', keyed: true,
    render: (fields, seed) => `# record ${seed}\n${stringifyYaml(Object.fromEntries(fields.map((f) => [f.key, f.value])))}`,
    views: same,
    check: (out, input) => expectEqual(Object.keys(parseYaml(out) as object), Object.keys(parseYaml(input) as object), 'keys'),
  },
  {
    name: 'text', contentType: 'text/plain; charset=utf-8', keyed: false,
    render: (fields) => fields.map((f) => f.value).join('\n'),
    views: same,
    check: (out, input) => expectEqual(out.split('\n').length, input.split('\n').length, 'lines'),
  },
  {
    name: 'json, no content type', contentType: undefined, keyed: true,
    render: (fields) => JSON.stringify(Object.fromEntries(fields.map((f) => [f.key, f.value]))),
    views: same,
    check: (out, input) => expectEqual(Object.keys(JSON.parse(out) as object), Object.keys(JSON.parse(input) as object), 'keys'),
  },
  {
    name: 'text, no content type', contentType: undefined, keyed: false,
    render: (fields) => fields.map((f) => f.value).join('\n'),
    views: same,
    check: (out, input) => expectEqual(out.split('\n').length, input.split('\n').length, 'lines'),
  },
];
