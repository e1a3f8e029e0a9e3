// A coarse timer wheel for the live calls' deadlines, after undici's lib/util/timers.js: a deadline of a
// second or more costs no timer of its own, only a slot in one array that a single unref'd timer scans
// every TICK_MS (one Timeout refreshed, not one created and cleared per request). It fires between its
// time and TICK_MS later; a shorter deadline keeps its own setTimeout, where that lateness would matter.

/** What the wheel needs of an item (the live exchange holds these itself: no wrapper per request). */
export interface Deadlined {
  /** performance.now() at which the deadline passes. */
  dueAt: number;
  /** The item's index in the wheel, or -1 when it is not in it. */
  deadlineSlot: number;
}

/** Deadlines below this keep a native timer (as undici's RESOLUTION_MS). */
export const COARSE_FROM_MS = 1000;
const TICK_MS = 250;

export class CoarseDeadlines<T extends Deadlined> {
  private readonly items: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly tick = (): void => this.onTick();

  constructor(private readonly fire: (item: T) => void, private readonly tickMs = TICK_MS) {}

  get size(): number {
    return this.items.length;
  }

  /** Arms (or re-arms) the item's deadline `ms` from now. */
  arm(item: T, ms: number): void {
    item.dueAt = performance.now() + ms;
    if (item.deadlineSlot < 0) {
      item.deadlineSlot = this.items.length;
      this.items.push(item);
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(this.tick, this.tickMs);
      this.timer.unref();
    } else if (this.items.length === 1) {
      this.timer.refresh();
    }
  }

  disarm(item: T): void {
    const slot = item.deadlineSlot;
    if (slot < 0) return;
    item.deadlineSlot = -1;
    const last = this.items.pop()!;
    if (last !== item) {
      this.items[slot] = last;
      last.deadlineSlot = slot;
    }
  }

  private onTick(): void {
    const now = performance.now();
    // Backwards, so that a swap-remove moves an already-checked item into the freed slot.
    for (let i = this.items.length - 1; i >= 0; i--) {
      const item = this.items[i];
      if (item === undefined || item.dueAt > now) continue;
      this.disarm(item);
      this.fire(item);
    }
    if (this.items.length > 0) this.timer?.refresh();
  }
}
