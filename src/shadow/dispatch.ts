// The shadow dispatcher lives in the copy pipeline (src/pipeline/dispatch.ts), below the shadow threads and replay.
export * from '../pipeline/dispatch.js';
