/**
 * The shared stream's too-slow-member policy (adaptive rate): a member whose own rate has sat at
 * the floor for `dropAfterMs` is dropped, with a reason to tell it, so that one slow receiver
 * does not hold everyone at the floor for ever.
 */
export class SlowMembers {
  private readonly atFloorSince = new Map<string, number>();
  private readonly dropped: { id: string; reason: string }[] = [];

  constructor(
    private readonly floorBytesPerSecond: number,
    private readonly dropAfterMs: number,
  ) {}

  /** Member `id` reported at `now` with its own rate at `rate`: whether it is to be dropped now (its reason is queued). */
  tooSlow(now: number, id: string, rate: number): boolean {
    if (rate > this.floorBytesPerSecond * 1.0001) {
      this.atFloorSince.delete(id);
      return false;
    }
    const since = this.atFloorSince.get(id) ?? now;
    this.atFloorSince.set(id, since);
    if (now - since < this.dropAfterMs) return false;
    this.atFloorSince.delete(id);
    this.dropped.push({
      id,
      reason: `too slow: its loss kept the shared stream at the ${(this.floorBytesPerSecond / 1e6).toFixed(1)} MB/s floor for ${this.dropAfterMs} ms`,
    });
    return true;
  }

  /** The member left. */
  forget(id: string): void {
    this.atFloorSince.delete(id);
  }

  /** Members dropped since the last call, with the reason to tell them. */
  poll(): { id: string; reason: string }[] {
    return this.dropped.splice(0);
  }
}
