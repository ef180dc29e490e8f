/**
 * The source symbols of one shared-stream segment that members reported lost, with who lacks
 * each, and how they pair up into combined resends.
 *
 * Members of a multicast group lose different symbols. Resending each lost id on its own costs
 * one datagram per id in the union of everyone's losses (n members at loss p: about 1-(1-p)^n of
 * K). But if member A lacks only x and member B only y, the one datagram x XOR y serves both: A
 * holds y and B holds x, so each recovers its symbol with one XOR (instantly decodable network
 * coding). `take` builds such a datagram greedily: the oldest queued id, then, for every member
 * that does not lack it, one id that member alone lacks. The ids' lacker sets are then pairwise
 * disjoint, so every member that lacks any of them lacks exactly one and can decode it, with no
 * codec work at either end. The queue is sized for small groups (the combination carries at most
 * MAX_COMBINED_SYMBOLS ids, one per member served).
 */
/** Queued ids looked at for partners lacked by several members (see takeDisjoint). */
const SCAN_AHEAD = 64;

export class ResendQueue {
  /** Queued ids in the order they were first queued; entries before `head` are spent. */
  private order: number[] = [];
  /** When each entry of `order` was queued (ms, the caller's clock). */
  private orderAt: number[] = [];
  private head = 0;
  /** Live queued ids, each with the members that listed it lost. */
  private readonly lackers = new Map<number, Set<string>>();
  /** Per member, ids queued when it was the only one to lack them (checked again on use). */
  private readonly alone = new Map<string, { ids: number[]; head: number }>();

  /** Ids queued and not yet taken. */
  get size(): number {
    return this.lackers.size;
  }

  has(encodingSymbolId: number): boolean {
    return this.lackers.has(encodingSymbolId);
  }

  /** When the oldest id still queued was queued (undefined: none). */
  oldestQueuedAt(): number | undefined {
    while (this.head < this.order.length && !this.lackers.has(this.order[this.head]!)) this.head++;
    return this.head < this.order.length ? this.orderAt[this.head] : undefined;
  }

  /** `member` lacks `esi`: queues it (at `now`), or adds the member to an id already queued. */
  add(esi: number, member: string, now = 0): void {
    const set = this.lackers.get(esi);
    if (set) {
      set.add(member);
      return;
    }
    this.lackers.set(esi, new Set([member]));
    if (this.head === this.order.length) {
      this.order = [];
      this.orderAt = [];
      this.head = 0;
    }
    this.order.push(esi);
    this.orderAt.push(now);
    let mine = this.alone.get(member);
    if (!mine) this.alone.set(member, (mine = { ids: [], head: 0 }));
    if (mine.head === mine.ids.length) {
      mine.ids = [];
      mine.head = 0;
    }
    mine.ids.push(esi);
  }

  /**
   * The ids of the next resend datagram, ascending: the oldest queued id and up to `max` - 1
   * partners, each lacked by one member only, a different member each, none of whom lacks any
   * other id taken. Undefined when nothing is queued.
   */
  take(max: number): number[] | undefined {
    let first: number | undefined;
    while (this.head < this.order.length) {
      const esi = this.order[this.head++]!;
      if (this.lackers.has(esi)) {
        first = esi;
        break;
      }
    }
    if (first === undefined) return undefined;
    const served = new Set(this.lackers.get(first));
    this.lackers.delete(first);
    const ids = [first];
    if (max > 1) {
      for (const [member, mine] of this.alone) {
        if (served.has(member)) continue;
        const partner = this.nextAlone(member, mine);
        if (partner === undefined) continue;
        this.lackers.delete(partner);
        served.add(member);
        ids.push(partner);
        if (ids.length >= max) break;
      }
      if (ids.length < max) this.takeDisjoint(ids, served, max);
    }
    return ids.length === 1 ? ids : ids.sort((a, b) => a - b);
  }

  /**
   * Fills `ids` up to `max` with queued ids lacked by several members, none of them served yet:
   * at high loss many ids are lacked by more than one member. Looks at the next SCAN_AHEAD
   * queued ids only, so a datagram costs O(SCAN_AHEAD · members) at worst.
   */
  private takeDisjoint(ids: number[], served: Set<string>, max: number): void {
    const end = Math.min(this.order.length, this.head + SCAN_AHEAD);
    for (let i = this.head; i < end && ids.length < max; i++) {
      const esi = this.order[i]!;
      const set = this.lackers.get(esi);
      if (set === undefined) continue;
      let disjoint = true;
      for (const member of set) {
        if (served.has(member)) {
          disjoint = false;
          break;
        }
      }
      if (!disjoint) continue;
      for (const member of set) served.add(member);
      this.lackers.delete(esi);
      ids.push(esi);
    }
  }

  /** The member left: what only it lacked is no longer owed, and it takes no partner slot. */
  forget(member: string): void {
    this.alone.delete(member);
    for (const [esi, set] of this.lackers) {
      if (!set.delete(member)) continue;
      if (set.size === 0) this.lackers.delete(esi);
    }
  }

  /** The member's oldest id that is still queued and still lacked by it alone. */
  private nextAlone(member: string, mine: { ids: number[]; head: number }): number | undefined {
    while (mine.head < mine.ids.length) {
      const esi = mine.ids[mine.head++]!;
      const set = this.lackers.get(esi);
      if (set !== undefined && set.size === 1 && set.has(member)) return esi;
    }
    return undefined;
  }
}
