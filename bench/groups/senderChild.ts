/**
 * The group load generator's sender process (forked by groupBench.ts): the library's `send()`
 * serving one multicast stream at a fixed rate, started once `receivers` have asked. It measures
 * itself over the transfer — from the stream's start (its log event) to the last receiver's
 * completion, while the stream worker still runs — as process CPU seconds and, from /proc, the
 * main thread's (the control plane) apart from the other threads' (the stream worker: the data
 * plane and the reports it plans with).
 */
import { pino } from 'pino';
import { send } from '../../sender/send.js';
import { readThreadCpu, threadCpuBetween, type ThreadCpu } from './threadCpu.js';

export interface SenderTask {
  file: string;
  group: string;
  dataPort: number;
  /** Receivers that report (the stream starts once they have all asked, and ends when they are done). */
  receivers: number;
  rateBits: number;
  segmentSize: number;
}

export interface SenderMeasure {
  /** From the stream's start to the last receiver's completion. */
  transferSeconds: number;
  cpuSeconds: number;
  mainThreadCpuSeconds?: number;
  otherThreadsCpuSeconds?: number;
  completed: number;
  failed: number;
  datagramsSent?: number;
  repairSymbolsSent?: number;
}

export type FromSender = { type: 'listening'; port: number } | { type: 'done'; measure: SenderMeasure } | { type: 'failed'; message: string };

interface Mark {
  at: number;
  cpu: number;
  threads: ThreadCpu | undefined;
}

function mark(): Mark {
  const c = process.cpuUsage();
  return { at: performance.now(), cpu: (c.user + c.system) / 1e6, threads: readThreadCpu() };
}

async function main(task: SenderTask): Promise<void> {
  let start: Mark | undefined;
  let end: Mark | undefined;
  let completed = 0;
  // Only the stream's start is wanted from the log: the rest is dropped unparsed.
  const logger = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        if (start === undefined && line.includes('"shared-stream-start"')) start = mark();
      },
    },
  );
  const summary = await send({
    file: task.file,
    host: '127.0.0.1',
    port: 0,
    receivers: task.receivers,
    minReceivers: task.receivers,
    maxReceivers: task.receivers + 16,
    maxPendingHandshakes: task.receivers + 16,
    multicast: { group: task.group, port: task.dataPort },
    rateBitsPerSecond: task.rateBits,
    fixedRate: true,
    segmentSize: task.segmentSize,
    logger,
    onListening: (a) => a && process.send!({ type: 'listening', port: a.port }),
    onReceiverEnd: (r) => {
      if (r.outcome === 'completed' && ++completed === task.receivers) end = mark();
    },
  });
  end ??= mark();
  start ??= end;
  const threads = start.threads && end.threads ? threadCpuBetween(start.threads, end.threads) : undefined;
  const measure: SenderMeasure = {
    transferSeconds: (end.at - start.at) / 1000,
    cpuSeconds: end.cpu - start.cpu,
    ...(threads ? { mainThreadCpuSeconds: threads.main, otherThreadsCpuSeconds: threads.others } : {}),
    completed: summary.completed,
    failed: summary.failed,
    datagramsSent: summary.sharedStream?.datagramsSent,
    repairSymbolsSent: summary.sharedStream?.repairSymbolsSent,
  };
  process.send!({ type: 'done', measure });
}

main(JSON.parse(process.argv[2]!) as SenderTask)
  .catch((e: Error) => process.send!({ type: 'failed', message: e.message }))
  .finally(() => process.disconnect());
