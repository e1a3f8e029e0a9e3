// undici's Pool without the rest of its package index (docs/memory.md). `import { Pool } from 'undici'`
// runs undici's index.js, which loads fetch, WebSocket, EventSource, the cache stores and interceptors,
// the mocks and the cookie parser with it: ~8 MB of RSS and ~3 MB of heap in each isolate (the live
// thread and every shadow thread), none of it used by a proxy that dispatches through pools. Here only
// the pool and the request API are loaded; the API is put on the dispatchers' prototype as the index
// does, so a Pool made here has `request`/`stream`/… like one made from the index (same files, same
// classes: a process that also loads the index shares them).
import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const require = createRequire(import.meta.url);

Object.assign((require('undici/lib/dispatcher/dispatcher') as typeof Undici.Dispatcher).prototype, require('undici/lib/api') as object);

export const Pool = require('undici/lib/dispatcher/pool') as typeof Undici.Pool;
export type Pool = Undici.Pool;
export type { Dispatcher } from 'undici';
