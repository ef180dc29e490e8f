/**
 * CPU seconds of this process's main thread apart from its other threads (Linux /proc). The
 * sender's main thread runs its whole control plane (TCP, frame and JSON decoding, the
 * per-receiver sessions, handing reports to the stream worker); the stream worker and the
 * rest run elsewhere. Node names every thread "node", so the main thread is told by its id
 * (the process id). Elsewhere than Linux `readThreadCpu` returns undefined.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on every Linux port). */
const TICKS_PER_SECOND = 100;

export interface ThreadCpu {
  /** The main thread's user + system seconds. */
  readonly mainSeconds: number;
  /** Every other thread's, by thread id (threads that have exited are gone from /proc). */
  readonly others: ReadonlyMap<number, number>;
}

/** User + system seconds from the text of a /proc/<pid>/task/<tid>/stat file. */
export function statCpuSeconds(stat: string): number {
  // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 (utime, stime); the rest begins at field 3.
  return (Number(fields[14 - 3]) + Number(fields[15 - 3])) / TICKS_PER_SECOND;
}

export function readThreadCpu(pid = process.pid): ThreadCpu | undefined {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  let mainSeconds = 0;
  const others = new Map<number, number>();
  for (const t of tids) {
    let s: number;
    try {
      s = statCpuSeconds(readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8'));
    } catch {
      continue; // exited meanwhile
    }
    if (Number(t) === pid) mainSeconds = s;
    else others.set(Number(t), s);
  }
  return { mainSeconds, others };
}

/**
 * CPU seconds spent between two readings: the main thread's, and the other threads' (a thread
 * that started meanwhile counts from 0; one that exited meanwhile is lost, so read `to` while
 * the threads of interest still run).
 */
export function threadCpuBetween(from: ThreadCpu, to: ThreadCpu): { main: number; others: number } {
  let others = 0;
  for (const [tid, s] of to.others) others += s - (from.others.get(tid) ?? 0);
  return { main: to.mainSeconds - from.mainSeconds, others };
}
