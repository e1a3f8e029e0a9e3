// The coarse deadline wheel of the live path (proxy/deadlines.ts): one refreshed timer for every live
// deadline of a second or more. An armed item fires once, never before its time; a disarmed one never; the
// array stays consistent when items leave in any order, and when a firing arms or disarms others.
import { describe, expect, it } from 'vitest';
import { CoarseDeadlines, type Deadlined } from '../../src/proxy/deadlines.js';

type Item = Deadlined & { name: string; armedAt: number; firedAt?: number };
const item = (name: string): Item => ({ name, dueAt: 0, deadlineSlot: -1, armedAt: 0 });

describe('CoarseDeadlines', () => {
  it('fires each armed item once, not before its time, and never a disarmed one', async () => {
    const fired: Item[] = [];
    let onFire: (() => void) | undefined;
    const wheel = new CoarseDeadlines<Item>((x) => {
      x.firedAt = performance.now();
      fired.push(x);
      if (fired.length === 3) onFire?.();
    }, 20);
    const items = ['a', 'b', 'c', 'd', 'e'].map(item);
    for (const [i, x] of items.entries()) {
      x.armedAt = performance.now();
      wheel.arm(x, 30 + i * 10);
    }
    expect(wheel.size).toBe(5);
    // Out of order, and the last one (the swap-remove's edge).
    wheel.disarm(items[1]!);
    wheel.disarm(items[4]!);
    wheel.disarm(items[4]!); // twice is harmless
    expect(wheel.size).toBe(3);
    await new Promise<void>((resolve) => { onFire = resolve; });
    expect(fired.map((x) => x.name).sort()).toEqual(['a', 'c', 'd']);
    for (const x of fired) expect(x.firedAt! - x.armedAt).toBeGreaterThanOrEqual(30);
    expect(wheel.size).toBe(0);
    expect(items.every((x) => x.deadlineSlot === -1)).toBe(true);
  });

  it('lets a firing item arm again and disarm others; re-arming moves the deadline, not the slot', async () => {
    const order: string[] = [];
    let done: (() => void) | undefined;
    const x = item('x');
    const y = item('y');
    const z = item('z');
    const wheel: CoarseDeadlines<Item> = new CoarseDeadlines<Item>((it) => {
      order.push(it.name);
      if (it === x && order.length === 1) {
        wheel.disarm(y); // y was due later: it never fires
        wheel.arm(x, 10); // x again
      } else if (it === x) {
        done?.();
      }
    }, 5);
    wheel.arm(x, 10);
    wheel.arm(y, 60_000);
    wheel.arm(z, 60_000);
    wheel.arm(z, 60_000); // re-armed: still one slot
    expect(wheel.size).toBe(3);
    await new Promise<void>((resolve) => { done = resolve; });
    expect(order).toEqual(['x', 'x']);
    expect(wheel.size).toBe(1); // z, far away
    wheel.disarm(z);
    expect(wheel.size).toBe(0);
  });
});
