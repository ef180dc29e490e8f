/**
 * Fuzz targets for the batched datagram paths: the split of a recvmmsg batch into datagrams
 * (receiver/batchSplit.ts) and the native sendBatch / recvBatch / enableUdpGro
 * (encoder/native/udpBatch.c) over real loopback sockets, and the native RaptorQ decoder
 * (raptorqNativeTarget.ts), and the native CRC-32 tag batches (crcTagsTarget.ts). Each case must end in datagrams that
 * are byte for byte the ones sent, in order, or in a typed refusal (ERR_FOUNTCAST_NATIVE_UDP, a
 * negative errno): never a stray exception, a crash, a byte written outside the caller's arrays,
 * or a wrong byte handed on.
 *
 * Unlike the parser targets (targets.ts) these are async and hold sockets (127.0.0.1, port 0),
 * opened at the first case and released by closeBatchTargets(). CI runs a few seeded cases of
 * each (test/fuzz/batch.test.ts); `npm run fuzz` runs them longer.
 */
import { runnable, type BatchFuzzTarget } from './asyncTarget.js';
import { batchSplit } from './batchSplitTarget.js';
import { crcTags } from './crcTagsTarget.js';
import { loopbackBatch } from './loopbackTarget.js';
import { nativeArgs } from './nativeArgsTarget.js';
import { raptorqNative } from './raptorqNativeTarget.js';

export type { BatchFuzzTarget } from './asyncTarget.js';
export { closeBatchTargets } from './loopbackSockets.js';

export const BATCH_FUZZ_TARGETS: readonly BatchFuzzTarget[] = [
  runnable(batchSplit),
  runnable(loopbackBatch),
  runnable(nativeArgs),
  runnable(raptorqNative),
  runnable(crcTags),
];
