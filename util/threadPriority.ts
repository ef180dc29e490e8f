/**
 * Per-thread scheduling priority (adapter helper), and the rule the stream threads follow.
 *
 * Linux lets a thread change its own nice value through its thread id (setpriority on the tid,
 * found through /proc/thread-self); os.setPriority takes that id. Raising a priority (a negative
 * nice) needs CAP_SYS_NICE, so it is refused for ordinary users: then the thread keeps its
 * priority and nothing else changes. Elsewhere than Linux nothing is changed at all.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Sets this thread's nice value; false when refused or not possible here. */
export function setThreadNice(nice: number): boolean {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false; // not Linux, or not permitted
  }
}

/** Nice value a pacing stream thread asks for (when permitted). */
export const PACING_NICE = -5;
/** Event-loop utilization at or above which a stream thread counts as saturated... */
export const SATURATED_UTILIZATION = 0.95;
/**
 * ...in this many intervals in a row: a stream's first second is its busiest (cold code, a
 * host full of starting receivers, catch-up after late wake-ups) even when it is paced, and
 * that is exactly when a late wake-up costs most (measured: one 250 ms interval at >= 0.95 gave
 * the priority up for 0.75 s of the start).
 */
export const SATURATED_INTERVALS = 8;
/** Utilization at or below which a saturated thread counts as pacing again (hysteresis). */
export const PACING_UTILIZATION = 0.8;

/**
 * Which nice value a stream thread should run at (sans-IO: fed its event-loop utilization over
 * each stats interval). A stream paced by its token bucket sleeps between sends, and a late
 * wake-up there delays every receiver of the stream: on a host with more runnable threads than
 * cores (measured: 8 receivers beside the sender on 2 cores, a 190 Mbit/s stream) the thread
 * fell ~0.4 s behind its pace in the first 1.4 s. At `raised` it gets the CPU when its tokens are
 * due, and it only takes its pace's worth. A saturated thread (CPU-bound, no cap it could hold)
 * would take CPU from everything else on the host, receivers included, so after
 * SATURATED_INTERVALS intervals at SATURATED_UTILIZATION it goes back to `normal` until it
 * sleeps again. An unpaced stream (no rate cap) is never raised (followPacingPriority).
 */
export class PacingPriority {
  private current: number;
  private busyIntervals = 0;

  constructor(
    readonly raised: number = PACING_NICE,
    readonly normal = 0,
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
 * Adapter for a stream worker: asks for `raised` now and then follows PacingPriority, fed this
 * thread's event-loop utilization each time `tick` is called (the worker's stats interval).
 * Undefined when `raised` is 0, the stream is not `paced` (no rate cap: nothing to hold) or the
 * raise is refused: nothing to follow then.
 */
export function followPacingPriority(paced: boolean, raised: number = PACING_NICE): { tick(): void } | undefined {
  if (!paced || raised === 0 || !setThreadNice(raised)) return undefined;
  const rule = new PacingPriority(raised);
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
