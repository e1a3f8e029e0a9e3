// The admin API client: the token lives in sessionStorage (gone with the tab) and travels as a Bearer
// header; no cookies, so a forged cross-site request carries no credential.
const KEY = 'shadowgate.console.token';
/** Every call has a deadline: a hung admin API shows an error instead of a spinner for ever. */
const TIMEOUT_MS = 10_000;

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export function storedToken(): string | null {
  return sessionStorage.getItem(KEY);
}
export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}
export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const token = storedToken();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const init: RequestInit = { method, headers, credentials: 'omit', cache: 'no-store', signal: AbortSignal.timeout(TIMEOUT_MS) };
  // Every mutation is JSON, even one without arguments: the admin API refuses other content types.
  if (method !== 'GET') {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body ?? {});
  }
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, 'SG_ERR_UNREACHABLE', `the admin API did not answer (${(err as Error).message})`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new ApiError(res.status, 'SG_ERR_BAD_RESPONSE', `the admin API answered ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, e?.code ?? 'SG_ERR_HTTP', e?.message ?? `HTTP ${res.status}`);
  }
  return json as T;
}
