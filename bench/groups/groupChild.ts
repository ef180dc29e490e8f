/**
 * One process of the group load generator (forked by groupBench.ts, over IPC). Two roles:
 * - `receivers`: runs light receivers (lightClient.ts) against the sender, connecting a few at a
 *   time so the sender's listen backlog never overflows, and reports every outcome and its own
 *   CPU seconds when all have ended;
 * - `mute`: multicast sockets that join the group and read the stream without any control
 *   connection — the stream-only baseline, whose kernel fan-out matches a reporting group's.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { runLightClient, type LightOutcome } from './lightClient.js';

export type GroupChildTask =
  | {
      role: 'receivers';
      host: string;
      port: number;
      ids: string[];
      window?: number;
      preferEvents?: boolean;
    }
  | { role: 'mute'; group: string; dataPort: number; count: number };

export type FromGroupChild =
  { type: 'ready' } | { type: 'done'; outcomes: LightOutcome[]; datagrams: number; cpuSeconds: number } | { type: 'failed'; message: string };

/** Receivers connecting at once, and the pause between such batches. */
const CONNECT_BATCH = 16;
const CONNECT_PAUSE_MS = 5;

function cpuSeconds(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}

async function runReceivers(t: Extract<GroupChildTask, { role: 'receivers' }>): Promise<void> {
  const runs: Promise<LightOutcome>[] = [];
  for (let i = 0; i < t.ids.length; i += CONNECT_BATCH) {
    for (const receiverId of t.ids.slice(i, i + CONNECT_BATCH))
      runs.push(runLightClient(t.host, t.port, { receiverId, window: t.window }, { preferEvents: t.preferEvents ?? true }));
    await new Promise((r) => setTimeout(r, CONNECT_PAUSE_MS));
  }
  const outcomes = await Promise.all(runs);
  process.send!({ type: 'done', outcomes, datagrams: outcomes.reduce((n, o) => n + o.counts.datagrams, 0), cpuSeconds: cpuSeconds() });
}

async function runMute(t: Extract<GroupChildTask, { role: 'mute' }>): Promise<void> {
  const sockets: UdpSocket[] = [];
  let datagrams = 0;
  for (let i = 0; i < t.count; i++) {
    const u = createSocket({ type: 'udp4', reuseAddr: true, recvBufferSize: 1 << 20 });
    await new Promise<void>((r) => u.bind(t.dataPort, r));
    u.addMembership(t.group);
    u.on('message', () => datagrams++);
    sockets.push(u);
  }
  process.send!({ type: 'ready' });
  await new Promise<void>((r) => process.once('message', () => r()));
  for (const u of sockets) u.close();
  process.send!({ type: 'done', outcomes: [], datagrams, cpuSeconds: cpuSeconds() });
}

process.once('message', (t: GroupChildTask) => {
  (t.role === 'mute' ? runMute(t) : runReceivers(t))
    .catch((e: Error) => process.send!({ type: 'failed', message: e.message }))
    .finally(() => process.disconnect());
});
