/**
 * The receiving process of the tree benchmark (treeBench.ts): `PORT OUT SYNC` — receive() into
 * OUT (with --sync when SYNC is 1), then report the summary and this process's CPU seconds over
 * IPC. A process of its own, as on a real receiving machine: its filesystem work does not share
 * a thread with the sender's.
 */
import { receive } from '../receiver/receive.js';

const [port, out, sync] = process.argv.slice(2);
try {
  const summary = await receive({ host: '127.0.0.1', port: Number(port), out: out!, sync: sync === '1', waitForSenderMs: 30_000 });
  const cpu = process.cpuUsage();
  process.send!({ type: 'done', datagrams: summary.datagramsReceived, symbolsNeeded: summary.symbolsNeeded, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
} catch (e) {
  process.send!({ type: 'failed', message: (e as Error).message });
  process.exitCode = 1;
}
process.disconnect();
