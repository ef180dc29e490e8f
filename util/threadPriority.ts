/**
 * Per-thread scheduling priority (adapter helper), and the rule the stream threads follow.
 *
 * Linux lets a thread change its own nice value through its thread id (setpriority on the tid,
 * found through /proc/thread-self); os.setPriority takes that id. Raising a priority (a negative
 * nice) needs CAP_SYS_NICE, so it is refused for ordinary users: then the thread keeps its
 * priority and nothing else changes. Elsewhere than Linux nothing is changed at all.
 *
 * Changes are adjustments relative to the thread's nice value when it starts, as `nice -n`
 * makes them: a sender started with `nice -n 10` keeps its streams at 5 and its hashing at 19,
 * instead of being raised to absolute values the user did not ask for.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** This thread's id (Linux), else undefined. */
function threadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined; // not Linux
  }
}

/** This thread's nice value, or undefined where it cannot be set per thread. */
export function threadNice(): number | undefined {
  const tid = threadId();
  if (tid === undefined) return undefined;
  try {
    return getPriority(tid);
  } catch {
    return undefined;
  }
}

/** Sets this thread's nice value; false when refused or not possible here. */
export function setThreadNice(nice: number): boolean {
  const tid = threadId();
  if (tid === undefined) return false;
  try {
    setPriority(tid, nice);
    return true;
  } catch {
    return false; // not permitted
  }
}

/** Nice value `base + delta` within Linux's range. */
export function adjustedNice(base: number, delta: number): number {
  return Math.max(-20, Math.min(19, base + delta));
}

/** Changes this thread's nice value by `delta` (clamped to -20..19); false when refused or not possible here. */
export function adjustThreadNice(delta: number): boolean {
  const base = threadNice();
  return base !== undefined && setThreadNice(adjustedNice(base, delta));
}

/** Nice adjustment a pacing stream thread asks for (when permitted). */
export const PACING_NICE = -5;
/**
 * Nice adjustment of the sender's hashing thread (the worker, or the native one), relative to the
 * sender's own. It runs beside the stream (and, on a test bed, beside the receivers) and only
 * needs to stay ahead of it: at a lower priority it hashes more slowly but yields the CPU to the
 * stream and to local receivers, and still finishes well ahead of the stream.
 */
export const HASH_NICE = 10;
/** Event-loop utilization at or above which a stream thread counts as saturated... */
export const SATURATED_UTILIZATION = 0.95;
/**
 * ...in this many intervals in a row: a stream's first second is its busiest (cold code, a
 * host full of starting receivers, catch-up after late wake-ups) even when it is paced, and
 * that is exactly when a late wake-up costs most, so one busy interval must not give the
 * priority up.
 */
export const SATURATED_INTERVALS = 8;
/** Utilization at or below which a saturated thread counts as pacing again (hysteresis). */
export const PACING_UTILIZATION = 0.8;

/**
 * Which nice value a stream thread should run at (sans-IO: fed its event-loop utilization over
 * each stats interval). A stream paced by its token bucket sleeps between sends, and a late
 * wake-up there delays every receiver of the stream: on a host with more runnable threads than
 * cores (receivers beside their sender, a small board) the thread falls behind its pace while
 * it waits for a core. At `raised` it gets the CPU when its tokens are
 * due, and it only takes its pace's worth. A saturated thread (CPU-bound, no cap it could hold)
 * would take CPU from everything else on the host, receivers included, so after
 * SATURATED_INTERVALS intervals at SATURATED_UTILIZATION it goes back to `normal` until it
 * sleeps again. An unpaced stream (no rate cap) is never raised (followPacingPriority).
 */
export class PacingPriority {
  private current: number;
  private busyIntervals = 0;

  constructor(
    readonly raised: number,
    readonly normal: number,
  ) {
    this.current = raised;
  }

  /** The nice value the thread should have now. */
  get nice(): number {
    return this.current;
  }

  /** One interval's utilization (0..1); returns the new nice value when it changes. */
  update(utilization: number): number | undefined {
    if (!Number.isFinite(utilization)) return undefined;
    this.busyIntervals = utilization >= SATURATED_UTILIZATION ? this.busyIntervals + 1 : 0;
    const next = this.busyIntervals >= SATURATED_INTERVALS ? this.normal : utilization <= PACING_UTILIZATION ? this.raised : this.current;
    if (next === this.current) return undefined;
    this.current = next;
    return next;
  }
}

/**
 * Adapter for a stream worker: raises this thread by `delta` now and then follows
 * PacingPriority between that and its starting nice value, fed this thread's event-loop
 * utilization each time `tick` is called (the worker's stats interval). Undefined when the
 * stream is not `paced` (no rate cap: nothing to hold), `delta` changes nothing, or the raise is
 * refused: nothing to follow then.
 */
export function followPacingPriority(paced: boolean, delta: number = PACING_NICE): { tick(): void } | undefined {
  const base = paced ? threadNice() : undefined;
  if (base === undefined) return undefined;
  const raised = adjustedNice(base, delta);
  if (raised === base || !setThreadNice(raised)) return undefined;
  const rule = new PacingPriority(raised, base);
  let last = performance.eventLoopUtilization();
  return {
    tick() {
      const now = performance.eventLoopUtilization();
      const next = rule.update(performance.eventLoopUtilization(now, last).utilization);
      last = now;
      if (next !== undefined) setThreadNice(next);
    },
  };
}
