// IPv4 and IPv6 addresses (IPv6 candidates are confirmed with node:net's parser, a pure function).
import { isIPv6 } from 'node:net';
import { regexHits, type Span } from './types.js';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`(?<![\\d.])${OCTET}(?:\\.${OCTET}){3}(?![\\d]|\\.\\d)`, 'g');
const IPV6 = /(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![0-9A-Fa-f:])/g;

export function detectIp(text: string, out: Span[]): void {
  if (text.indexOf('.') >= 0) regexHits(IPV4, 'ip', text, out);
  if (text.indexOf(':') >= 0) {
    regexHits(IPV6, 'ip', text, out, (m) => m.length > 2 && isIPv6(m));
  }
}
