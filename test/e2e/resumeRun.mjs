// A receiver in its own process, so the resume test can kill it with SIGKILL mid-transfer:
// receive() from the built library (dist/), reporting bytes written over IPC as they grow.
import { receive } from '../../dist/index.js';

const cfg = JSON.parse(process.argv[2]);
await receive({
  host: '127.0.0.1',
  port: cfg.port,
  out: cfg.out,
  waitForSenderMs: 10_000,
  onProgress: (_estimate, total, stored) => process.send?.({ bytes: stored, total }),
});
process.send?.({ done: true });
