// The dataset record is the copy pipeline's last step (src/pipeline/record.ts); the dataset room reads and writes it.
export * from '../pipeline/record.js';
