/**
 * One host of a `--kernel-loss` trial (kernelLossTrial.ts), run inside its network namespace:
 * `node netnsPeer.js '<json>'`. The sender serves the object on the lab's multicast group and
 * prints `{"listening":true}` once its control port is open, then its result; a receiver
 * prints its summary. One JSON object per line on stdout; a failure prints `{"error": …}` and
 * exits 1.
 */
import { pino } from 'pino';
import { receive } from '../../receiver/receive.js';
import { send } from '../../sender/send.js';
import type { CodecName } from '../../encoder/codecs.js';
import type { RecoveryMode } from '../../sender/streamCore.js';

export interface SenderPeerJob {
  role: 'sender';
  file: string;
  controlPort: number;
  group: string;
  dataPort: number;
  interface: string;
  receivers: number;
  rateBitsPerSecond: number;
  segmentSize: number;
  symbolSize: number;
  codec: CodecName;
  recovery: RecoveryMode;
  combineResends: boolean;
  repeatFinalResends: boolean;
  timeoutMs: number;
}

export interface ReceiverPeerJob {
  role: 'receiver';
  host: string;
  controlPort: number;
  interface: string;
  out: string;
  receiverId: string;
  timeoutMs: number;
}

export interface SenderPeerResult {
  /** This process's user + system CPU, ms. */
  cpuMs: number;
  datagramsSent: number;
  bytesSent: number;
}

export interface ReceiverPeerResult {
  cpuMs: number;
  symbolsReceived: number;
  symbolsNeeded: number;
  datagramsReceived: number;
  datagramsLost: number;
  decodeFailures: number;
}

const silent = pino({ level: 'silent' });
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const line = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

async function runSender(job: SenderPeerJob): Promise<SenderPeerResult> {
  const sent = await send({
    file: job.file,
    host: '0.0.0.0',
    port: job.controlPort,
    codec: job.codec,
    recovery: job.recovery,
    combineResends: job.combineResends,
    repeatFinalResends: job.repeatFinalResends,
    rateBitsPerSecond: job.rateBitsPerSecond,
    fixedRate: true,
    segmentSize: job.segmentSize,
    symbolSize: job.symbolSize,
    receivers: job.receivers,
    minReceivers: job.receivers,
    multicast: { group: job.group, port: job.dataPort },
    interface: job.interface,
    signal: AbortSignal.timeout(job.timeoutMs),
    logger: silent,
    onListening: () => line({ listening: true }),
  });
  return { cpuMs: cpuMs(), datagramsSent: sent.sharedStream?.datagramsSent ?? NaN, bytesSent: sent.sharedStream?.bytesSent ?? NaN };
}

async function runReceiver(job: ReceiverPeerJob): Promise<ReceiverPeerResult> {
  const s = await receive({
    host: job.host,
    port: job.controlPort,
    out: job.out,
    receiverId: job.receiverId,
    interface: job.interface,
    decodeWorkers: 1,
    signal: AbortSignal.timeout(job.timeoutMs),
    logger: silent,
  });
  return {
    cpuMs: cpuMs(),
    symbolsReceived: s.symbolsReceived,
    symbolsNeeded: s.symbolsNeeded,
    datagramsReceived: s.datagramsReceived,
    datagramsLost: s.datagramsLost,
    decodeFailures: s.decodeFailures,
  };
}

try {
  const job = JSON.parse(process.argv[2] ?? '') as SenderPeerJob | ReceiverPeerJob;
  line({ result: job.role === 'sender' ? await runSender(job) : await runReceiver(job) });
} catch (e) {
  line({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  process.exitCode = 1;
}
