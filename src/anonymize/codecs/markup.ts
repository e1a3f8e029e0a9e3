// XML (SOAP, Atom, XHTML) and HTML: one linear tokenizer that finds text nodes, CDATA, attribute values
// and comments, decodes their character references (the `entities` package: every HTML5 named reference,
// numeric ones, XML's five), lets the policy act on the decoded value, and writes back only what changed,
// escaped for its place; every other byte is copied as written. An element's local name (its prefix
// dropped) is a path segment and the key of its text, an attribute is `@name` under its element:
// `$.Envelope.Body.order.address`, `$..customer['@email']`. HTML is read leniently (void elements,
// implied end tags, raw-text script/style); XML strictly: a broken document is malformed_body.
import { createRequire } from 'node:module';
import type * as Entities from 'entities';
import type { FieldRules } from '../json-body.js';
import { childScope, fieldValue, freeText, MAX_DEPTH, MAX_NODES, rootScope, type Scope } from './fields.js';
import type { Run } from '../run.js';

// `entities` loads (synchronously) with the first reference to decode, not with the shadow thread (docs/memory.md).
let lib: typeof Entities | undefined;
const entities = (): typeof Entities => (lib ??= createRequire(import.meta.url)('entities') as typeof Entities);

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
/** HTML elements whose content is raw text (no tags inside); script and style also take no references. */
/** A raw-text element's end tag, compiled once per element name (RAW_TEXT is a fixed set). */
const CLOSE_TAGS = new Map<string, RegExp>();
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'noscript']);
const NO_REFERENCES = new Set(['script', 'style', 'xmp', 'noscript']);
/**
 * HTML's implied end tags, simplified: opening one of these closes the nearest open element it ends
 * (`<li>` an open `<li>`, `<tr>` an open `<tr>` with its cells), searching down to its container.
 */
const IMPLIED_END: ReadonlyMap<string, { readonly ends: readonly string[]; readonly within: readonly string[] }> = new Map([
  ['li', { ends: ['li'], within: ['ul', 'ol', 'menu'] }],
  ['dt', { ends: ['dt', 'dd'], within: ['dl'] }],
  ['dd', { ends: ['dt', 'dd'], within: ['dl'] }],
  ['p', { ends: ['p'], within: ['div', 'body', 'td', 'th', 'li', 'section', 'article', 'main', 'form'] }],
  ['option', { ends: ['option'], within: ['select', 'optgroup', 'datalist'] }],
  ['tr', { ends: ['tr'], within: ['table', 'thead', 'tbody', 'tfoot'] }],
  ['td', { ends: ['td', 'th'], within: ['tr', 'table'] }],
  ['th', { ends: ['td', 'th'], within: ['tr', 'table'] }],
  ['thead', { ends: ['thead', 'tbody', 'tfoot'], within: ['table'] }],
  ['tbody', { ends: ['thead', 'tbody', 'tfoot'], within: ['table'] }],
  ['tfoot', { ends: ['thead', 'tbody', 'tfoot'], within: ['table'] }],
]);
const NAME = /[A-Za-z_:\u00C0-\uFFFF][-\w:.\u00B7-\uFFFF]*/y;
const ATTR_NAME = /[^\s"'>/=]+/y;
const UNQUOTED = /[^\s>]+/y;
const SPACE = /\s*/y;
const BLANK = /^\s*$/;

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(s: string, quote: string): string {
  const t = escapeText(s);
  return quote === '"' ? t.replace(/"/g, '&quot;') : quote === "'" ? t.replace(/'/g, '&#39;') : t.replace(/["'\s=`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function localName(name: string): string {
  const colon = name.lastIndexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

interface Frame { readonly name: string; readonly scope: Scope }

class Markup {
  readonly parts: string[] = [];
  copied = 0;
  readonly stack: Frame[] = [];
  nodes = 0;
  rootSeen = false;
  readonly root: Scope;

  constructor(readonly run: Run, readonly f: FieldRules, readonly text: string, readonly html: boolean) {
    this.root = rootScope(f);
  }

  get scope(): Scope {
    return this.stack.length > 0 ? this.stack[this.stack.length - 1]!.scope : this.root;
  }

  get key(): string | undefined {
    return this.stack.length > 0 ? localName(this.stack[this.stack.length - 1]!.name) : undefined;
  }

  replace(start: number, end: number, value: string): void {
    this.parts.push(this.text.slice(this.copied, start), value);
    this.copied = end;
  }

  malformed(what: string): undefined {
    this.run.fail('malformed_body', `the ${this.html ? 'HTML' : 'XML'} body is malformed: ${what}`);
    return undefined;
  }

  decode(raw: string): string {
    return raw.includes('&') ? (this.html ? entities().decodeHTML(raw) : entities().decodeXML(raw)) : raw;
  }

  /** A text node [start, end): under a rule or as the element's field in XML, as free text in HTML. */
  textNode(start: number, end: number, references: boolean, cdata = false): boolean {
    const raw = this.text.slice(start, end);
    if (BLANK.test(raw)) return true;
    if (!this.html && this.stack.length === 0) return false;
    const decoded = references ? this.decode(raw) : raw;
    const core = decoded.trim();
    const scope = this.scope;
    let out: string;
    if (!this.html || scope.rule >= 0) out = fieldValue(this.run, this.f, scope, core, this.key) ?? '';
    else out = freeText(this.run, this.f.unknown, core);
    if (out === core) return true;
    const lead = decoded.slice(0, decoded.length - decoded.trimStart().length);
    const trail = decoded.slice(decoded.trimEnd().length);
    const written = cdata ? out.replace(/]]>/g, ']]]]><![CDATA[>') : references ? escapeText(out) : out.replace(/<\//g, '<\\/');
    this.replace(start, end, lead + written + trail);
    return true;
  }

  attribute(start: number, end: number, name: string, quote: string, scope: Scope): void {
    const raw = this.text.slice(start, end);
    if (raw === '') return;
    const lower = name.toLowerCase();
    // Namespace declarations are URIs, not data: the guard still reads them.
    if (lower === 'xmlns' || lower.startsWith('xmlns:')) { this.run.guard(raw); return; }
    const local = localName(name);
    const decoded = this.decode(raw);
    const at = childScope(this.f, scope, `@${local}`);
    // HTML attributes carry text (title, alt, value, content): read as free text unless a rule names them.
    const out = (this.html && at.rule < 0 ? freeText(this.run, this.f.unknown, decoded) : fieldValue(this.run, this.f, at, decoded, local)) ?? '';
    if (out !== decoded) this.replace(start, end, escapeAttr(out, quote));
  }

  comment(start: number, end: number): void {
    const raw = this.text.slice(start, end);
    if (BLANK.test(raw)) return;
    const out = freeText(this.run, this.f.unknown, raw).replace(/--/g, '- -');
    if (out !== raw) this.replace(start, end, out);
  }

  count(): boolean {
    if (++this.nodes <= MAX_NODES && this.stack.length <= MAX_DEPTH) return true;
    this.run.fail('scan_limit', `the ${this.html ? 'HTML' : 'XML'} body has more than ${MAX_NODES} nodes or ${MAX_DEPTH} levels`);
    return false;
  }

  /** An end tag `</name>` at i: the element it closes (HTML: the nearest open one of that name, if any). */
  endTag(i: number): number | undefined {
    const t = this.text;
    NAME.lastIndex = i + 2;
    const m = NAME.exec(t);
    const gt = t.indexOf('>', i);
    if (m === null || gt < 0) {
      if (!this.html) return this.malformed('a broken end tag');
      return i + 1; // `</` not followed by a name is text in HTML
    }
    this.run.guard(m[0]);
    if (!this.html) {
      const top = this.stack.pop();
      if (top?.name !== m[0]) return this.malformed(`</${m[0].slice(0, 32)}> closes ${top === undefined ? 'nothing' : `<${top.name.slice(0, 32)}>`}`);
    } else {
      const name = m[0].toLowerCase();
      for (let k = this.stack.length - 1; k >= 0; k--) if (this.stack[k]!.name === name) { this.stack.length = k; break; }
    }
    return gt + 1;
  }

  /** A start tag at i (its name read): attributes, then the element opened (unless void or self-closed). */
  startTag(i: number, rawName: string): number | undefined {
    const t = this.text;
    const name = this.html ? rawName.toLowerCase() : rawName;
    this.run.guard(rawName);
    if (!this.html) {
      if (this.stack.length === 0 && this.rootSeen) return this.malformed('a second root element');
      this.rootSeen = true;
    }
    const scope = childScope(this.f, this.scope, localName(name));
    let j = i + 1 + rawName.length;
    for (;;) {
      SPACE.lastIndex = j;
      SPACE.exec(t);
      j = SPACE.lastIndex;
      if (j >= t.length) return this.malformed('an unterminated tag');
      if (t[j] === '>' || t.startsWith('/>', j)) break;
      ATTR_NAME.lastIndex = j;
      const an = ATTR_NAME.exec(t);
      if (an === null) { if (!this.html) return this.malformed('a broken attribute'); j++; continue; }
      j = ATTR_NAME.lastIndex;
      this.run.guard(an[0]);
      SPACE.lastIndex = j;
      SPACE.exec(t);
      if (t[SPACE.lastIndex] !== '=') {
        if (!this.html) return this.malformed('an attribute without a value');
        continue;
      }
      j = SPACE.lastIndex + 1;
      SPACE.lastIndex = j;
      SPACE.exec(t);
      j = SPACE.lastIndex;
      const q = t[j];
      if (q === '"' || q === "'") {
        const close = t.indexOf(q, j + 1);
        if (close < 0) return this.malformed('an unterminated attribute value');
        this.attribute(j + 1, close, an[0], q, scope);
        j = close + 1;
      } else {
        if (!this.html) return this.malformed('an unquoted attribute value');
        UNQUOTED.lastIndex = j;
        const v = UNQUOTED.exec(t);
        if (v === null) continue;
        this.attribute(j, UNQUOTED.lastIndex, an[0], '', scope);
        j = UNQUOTED.lastIndex;
      }
    }
    const selfClosed = t[j] === '/';
    const gt = selfClosed ? j + 2 : j + 1;
    if (selfClosed || (this.html && VOID.has(name))) return gt;
    const implied = this.html ? IMPLIED_END.get(name) : undefined;
    if (implied !== undefined) {
      for (let k = this.stack.length - 1; k >= 0; k--) {
        const open = this.stack[k]!.name;
        if (implied.ends.includes(open)) { this.stack.length = k; break; }
        if (implied.within.includes(open)) break;
      }
    }
    this.stack.push({ name, scope });
    if (!this.html || !RAW_TEXT.has(name)) return gt;
    // Raw text runs to its end tag, whatever it holds.
    let close = CLOSE_TAGS.get(name);
    if (close === undefined) {
      close = new RegExp(`</${name}[\\s/>]`, 'ig');
      CLOSE_TAGS.set(name, close);
    }
    close.lastIndex = gt;
    const m = close.exec(t);
    const end = m === null ? t.length : m.index;
    this.textNode(gt, end, !NO_REFERENCES.has(name));
    return end;
  }

  run_(): string | undefined {
    const t = this.text;
    const n = t.length;
    let i = 0;
    while (i < n) {
      const lt = t.indexOf('<', i);
      const textEnd = lt < 0 ? n : lt;
      if (textEnd > i) {
        if (!this.count()) return undefined;
        if (!this.textNode(i, textEnd, true)) return this.malformed('text outside the root element');
      }
      if (lt < 0) break;
      if (!this.count()) return undefined;
      i = lt;
      let next: number | undefined;
      if (t.startsWith('<!--', i)) {
        const end = t.indexOf('-->', i + 4);
        if (end < 0 && !this.html) return this.malformed('an unterminated comment');
        this.comment(i + 4, end < 0 ? n : end);
        next = end < 0 ? n : end + 3;
      } else if (!this.html && t.startsWith('<![CDATA[', i)) {
        const end = t.indexOf(']]>', i + 9);
        if (end < 0) return this.malformed('an unterminated CDATA section');
        if (!this.textNode(i + 9, end, false, true)) return this.malformed('CDATA outside the root element');
        next = end + 3;
      } else if (t.startsWith('<!', i) || t.startsWith('<?', i)) {
        // Declarations and processing instructions are kept as written; the guard reads them.
        const end = t.indexOf(t[i + 1] === '?' && !this.html ? '?>' : '>', i);
        if (end < 0) return this.malformed('an unterminated declaration');
        this.run.guard(t.slice(i, end + 1));
        next = end + (t[i + 1] === '?' && !this.html ? 2 : 1);
      } else if (t[i + 1] === '/') {
        next = this.endTag(i);
      } else {
        NAME.lastIndex = i + 1;
        const m = NAME.exec(t);
        if (m === null) {
          if (!this.html) return this.malformed('a "<" that opens no tag');
          // A lone `<` is text in HTML: scanned with the text that follows it.
          const after = t.indexOf('<', i + 1);
          const end = after < 0 ? n : after;
          this.textNode(i, end, true);
          next = end;
        } else {
          next = this.startTag(i, m[0]);
        }
      }
      if (next === undefined || this.run.failure !== undefined) return undefined;
      i = next;
    }
    if (!this.html && (this.stack.length > 0 || !this.rootSeen)) return this.malformed(this.rootSeen ? `<${this.stack.at(-1)!.name.slice(0, 32)}> is never closed` : 'no root element');
    this.parts.push(t.slice(this.copied));
    return this.parts.join('');
  }
}

/** The anonymized document, or undefined once run.fail says why not. */
export function anonymizeMarkup(run: Run, f: FieldRules, text: string, html: boolean): string | undefined {
  return new Markup(run, f, text, html).run_();
}
