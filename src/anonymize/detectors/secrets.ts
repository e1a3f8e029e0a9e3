// Credentials by format (gitleaks-style keyword prefilter, then a bounded pattern): AWS access keys,
// GitHub, Slack, Stripe and Google API keys, bearer tokens, private key blocks, passwords in URLs.
import { regexHits, type Span } from './types.js';

const PATTERNS: readonly { keyword: string; re: RegExp }[] = [
  { keyword: 'A', re: /(?<![A-Za-z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}(?![A-Za-z0-9])/g },
  { keyword: 'gh', re: /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,255}(?![A-Za-z0-9])/g },
  { keyword: 'github_pat_', re: /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{22,255}(?![A-Za-z0-9_])/g },
  { keyword: 'xox', re: /(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9\-]{10,250}(?![A-Za-z0-9\-])/g },
  { keyword: '_', re: /(?<![A-Za-z0-9_])(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,247}(?![A-Za-z0-9])/g },
  { keyword: 'AIza', re: /(?<![A-Za-z0-9_\-])AIza[A-Za-z0-9_\-]{35}(?![A-Za-z0-9_\-])/g },
  { keyword: 'earer', re: /(?<![A-Za-z])[Bb]earer[ \t]{1,8}[A-Za-z0-9._~+/\-]{12,4096}={0,2}/g },
];
const URL_CREDENTIALS = /(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]{1,20}:\/\/[^\s/:@]{1,256}:[^\s/@]{1,256}@/g;
const KEY_BEGIN = /-----BEGIN[A-Z ]{0,40} PRIVATE KEY-----/g;

function detectPrivateKeys(text: string, out: Span[]): void {
  KEY_BEGIN.lastIndex = 0;
  for (let m = KEY_BEGIN.exec(text); m !== null; m = KEY_BEGIN.exec(text)) {
    // Found with indexOf, not a lazy regex: an unterminated block is cut to the end (fail closed).
    const endMarker = text.indexOf('-----END', m.index + m[0].length);
    let end = text.length;
    if (endMarker >= 0) {
      const close = text.indexOf('-----', endMarker + 8);
      end = close >= 0 ? close + 5 : text.length;
    }
    out.push({ start: m.index, end, entity: 'secret' });
    KEY_BEGIN.lastIndex = end;
  }
}

export function detectSecrets(text: string, out: Span[]): void {
  for (const p of PATTERNS) if (text.includes(p.keyword)) regexHits(p.re, 'secret', text, out);
  if (text.includes('://')) {
    URL_CREDENTIALS.lastIndex = 0;
    for (let m = URL_CREDENTIALS.exec(text); m !== null; m = URL_CREDENTIALS.exec(text)) {
      // Only the userinfo is sensitive: the scheme and host stay readable.
      const start = m.index + m[0].indexOf('://') + 3;
      out.push({ start, end: m.index + m[0].length - 1, entity: 'url_credentials' });
    }
  }
  if (text.includes('-----BEGIN')) detectPrivateKeys(text, out);
}
