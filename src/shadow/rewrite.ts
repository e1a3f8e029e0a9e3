// The per-target rewrite lives in the copy pipeline (src/pipeline/rewrite.ts), shared by live copies and replay.
export * from '../pipeline/rewrite.js';
