// IPv4 and IPv6 addresses (IPv6 candidates are confirmed with node:net's parser, a pure function).
import { isIPv6 } from 'node:net';
import { regexHits, type Span } from './types.js';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
export const IPV4 = new RegExp(`(?<![\\d.])${OCTET}(?:\\.${OCTET}){3}(?![\\d]|\\.\\d)`, 'g');
export const IPV6 = /(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![0-9A-Fa-f:])/g;

function hexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/**
 * True when two colons stand with at most four hex digits between them. Every IPv6 hit has such a pair
 * (its `(?:h{0,4}:){2,7}` is two colon-ended groups in a row), so a text without one (prose with
 * "Agent:" and "10:30") skips the regex. Linear: each colon looks ahead at most five characters.
 */
function colonPair(text: string): boolean {
  for (let c = text.indexOf(':'); c >= 0; c = text.indexOf(':', c + 1)) {
    for (let k = c + 1; k <= c + 5 && k < text.length; k++) {
      const x = text.charCodeAt(k);
      if (x === 58) return true;
      if (!hexDigit(x)) break;
    }
  }
  return false;
}

export function detectIp(text: string, out: Span[]): void {
  if (text.indexOf('.') >= 0) regexHits(IPV4, 'ip', text, out);
  if (colonPair(text)) {
    regexHits(IPV6, 'ip', text, out, (m) => m.length > 2 && isIPv6(m));
  }
}
