// One canonical request target before routing: what the route table matches is exactly what is
// forwarded, so no spelling of a path can reach an upstream past its route (methods, limits, canary,
// shadow). Absolute-form is reduced to origin-form with the Host taken from it (RFC 9112 §3.2.2);
// dot-segments are removed (RFC 3986 §5.2.4), a path climbing above the root is refused; nothing is
// percent-decoded except `%2E` inside a dot-segment, so an encoded slash (`%2F`) stays one byte string.

export type CanonicalTarget =
  | { readonly ok: true; readonly url: string; readonly host: string | undefined }
  | { readonly ok: false; readonly message: string };

const ABSOLUTE = /^https?:\/\//i;

/** `url` as received on the request line; `host` is set only when the target carried an authority. */
export function canonicalTarget(raw: string): CanonicalTarget {
  let url = raw;
  let host: string | undefined;
  if (url.charCodeAt(0) !== 0x2f /* / */) {
    if (!ABSOLUTE.test(url)) return { ok: false, message: 'the request target must be a path or an absolute http(s) URL' };
    const start = url.indexOf('//') + 2;
    let end = start;
    while (end < url.length && url[end] !== '/' && url[end] !== '?' && url[end] !== '#') end++;
    host = url.slice(start, end);
    if (host === '' || host.includes('@')) return { ok: false, message: 'the request target has no valid authority' };
    const rest = url.slice(end);
    url = rest === '' ? '/' : rest.charCodeAt(0) === 0x2f ? rest : `/${rest}`;
  }
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  // The common case has no dot-segment at all: no allocation.
  if (!path.includes('/.') && !/\/%2e/i.test(path)) return { ok: true, url, host };
  const out: string[] = [];
  const segments = path.split('/');
  let trailingSlash = false;
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    const dots = seg.length <= 6 ? seg.replace(/%2e/gi, '.') : seg;
    const last = i === segments.length - 1;
    if (dots === '.') {
      trailingSlash = last;
    } else if (dots === '..') {
      if (out.length === 0) return { ok: false, message: 'the request path climbs above the root' };
      out.pop();
      trailingSlash = last;
    } else {
      out.push(seg);
      trailingSlash = false;
    }
  }
  const canonical = `/${out.join('/')}${trailingSlash && out.length > 0 ? '/' : ''}`;
  return { ok: true, url: q < 0 ? canonical : canonical + url.slice(q), host };
}
