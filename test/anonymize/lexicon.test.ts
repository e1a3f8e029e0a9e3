// The word table as the shadow threads build it (straight off the data files' bytes): the flags of words
// from each source, and a table the size of its sources.
import { describe, expect, it } from 'vitest';
import { W_AMBIGUOUS, W_COMMON, W_FIRST, W_LISTED, W_PROPER, W_SURNAME, wordFlags, wordTable } from '../../src/anonymize/data/lexicon.js';

describe('word table', () => {
  it('holds every source with its flags', () => {
    const t = wordTable();
    // 66,524 keys on the data packages pinned in package-lock.json (names.ts lists, people names, SUBTLEX-US).
    expect(t.count).toBeGreaterThan(60_000);
    expect(t.slotEntry.length).toBeGreaterThanOrEqual(t.count * 3);
    // The flags the Map-and-JSON.parse build gave (its table was byte-for-byte this one).
    expect(wordFlags('Margaret')).toBe(W_FIRST | W_LISTED | W_PROPER);
    expect(wordFlags('Smith')).toBe(W_SURNAME | W_LISTED | W_PROPER);
    expect(wordFlags('Nguyen')).toBe(W_SURNAME | W_LISTED);
    expect(wordFlags('Mark')).toBe(W_FIRST | W_LISTED | W_PROPER | W_AMBIGUOUS);
    expect(wordFlags('the')).toBe(W_COMMON);
    expect(wordFlags('Jürgen')).toBe(wordFlags('jurgen'));
    expect(wordFlags('qzxwvbnm')).toBe(0);
  });
});
