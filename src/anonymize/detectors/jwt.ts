// JSON Web Tokens: three base64url parts whose header decodes to a JSON object.
import { regexHits, type Span } from './types.js';

const JWT = /(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{4,2048}\.[A-Za-z0-9_\-]{2,8192}\.[A-Za-z0-9_\-]{0,2048}(?![A-Za-z0-9_\-])/g;

function headerIsJson(token: string): boolean {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
    return header !== null && typeof header === 'object' && !Array.isArray(header);
  } catch {
    return false;
  }
}

export function detectJwt(text: string, out: Span[]): void {
  if (text.indexOf('eyJ') < 0) return;
  regexHits(JWT, 'jwt', text, out, headerIsJson);
}
