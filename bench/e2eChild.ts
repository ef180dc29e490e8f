/**
 * One process of the end-to-end benchmark: `send FILE N RECOVERY RATE|- PORT [MODE KEYSDIR]` or
 * `receive PORT OUTDIR LOSS SEED [KEYFILE]` (MODE: open, mac, encrypt). A receiver reports
 * 'ready' and then waits for the sender to listen on PORT.
 * Runs the library call and, at exit, reports its own CPU seconds and peak RSS (all threads)
 * over IPC, so the parent can attribute cost to sender and receivers separately.
 */
import { loadReceiverKeyFile, receiverKeyDirectory } from '../control/keyFiles.js';
import { gcmImplementation, macImplementation } from '../encoder/integrity.js';
import { receive } from '../receiver/receive.js';
import { send } from '../sender/send.js';
import type { RecoveryMode } from '../sender/streamCore.js';

async function main(): Promise<void> {
  const [role, ...args] = process.argv.slice(2);
  let result: unknown;
  if (role === 'send') {
    const [file, receivers, recovery, rate, port, mode, keysDir] = args;
    result = await send({
      file: file!,
      host: '127.0.0.1',
      port: Number(port),
      receivers: Number(receivers),
      recovery: recovery as RecoveryMode,
      rateBitsPerSecond: rate === undefined || rate === '-' ? undefined : Number(rate),
      receiverKeys: mode === 'mac' || mode === 'encrypt' ? receiverKeyDirectory(keysDir!) : undefined,
      encrypt: mode === 'encrypt',
      onListening: (a) => a && process.send!({ type: 'listening', port: a.port }),
    });
  } else if (role === 'receive') {
    const [port, out, loss, seed, keyFile] = args;
    const key = keyFile ? await loadReceiverKeyFile(keyFile) : undefined;
    process.send!({ type: 'ready' });
    result = await receive({ host: '127.0.0.1', port: Number(port), out: out!, simulateLoss: Number(loss), seed: Number(seed), key, waitForSenderMs: 60_000 });
  } else {
    throw new Error(`unknown role ${role}`);
  }
  const cpu = process.cpuUsage();
  const usage = process.resourceUsage();
  process.send!({
    type: 'done',
    result,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMiB: usage.maxRSS / 1024,
    crypto: { mac: macImplementation().implementation, encrypt: gcmImplementation().implementation },
  });
  process.disconnect();
}

main().catch((e: Error) => {
  process.send?.({ type: 'failed', message: e.message });
  process.exitCode = 1;
  process.disconnect?.();
});
