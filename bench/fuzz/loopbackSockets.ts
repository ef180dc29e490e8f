/**
 * Loopback UDP sockets for the native fuzz targets (127.0.0.1, ports the kernel picks): a plain
 * receiver, a GRO receiver, and a pair for hostile arguments, each with a sender connected to it;
 * opened at the first case, closed by closeBatchTargets. `receive` drains a receiver through the
 * reader's own batch split.
 */
import { createSocket, type Socket } from 'node:dgram';
import { loadNativeCrypto } from '../../encoder/nativeCrypto.js';
import { splitBatch } from '../../receiver/batchSplit.js';
import { socketDescriptor } from '../../util/socketDescriptor.js';
import { fail } from './asyncTarget.js';

export const native = loadNativeCrypto().module;
export const UDP_ERROR = 'ERR_FOUNTCAST_NATIVE_UDP';
/** The largest UDP payload over IPv4; one more is EMSGSIZE. */
export const MAX_DATAGRAM = 65_507;
export const EMSGSIZE = 90;

export interface Pair {
  rx: Socket;
  tx: Socket;
  rxFd: number;
  txFd: number;
  gro: boolean;
}

let pairs: Promise<Pair[]> | undefined;

async function openPair(gro: boolean): Promise<Pair> {
  const rx = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  const tx = createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
  await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => tx.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => tx.connect(rx.address().port, '127.0.0.1', r));
  const rxHandle = socketDescriptor(rx) ?? fail('no descriptor for the receiving socket');
  rxHandle.recvStop();
  const txFd = socketDescriptor(tx)?.fd ?? fail('no descriptor for the sending socket');
  if (gro && native!.enableUdpGro!(rxHandle.fd) !== 0) fail('UDP GRO refused on loopback');
  return { rx, tx, rxFd: rxHandle.fd, txFd, gro };
}

/** Three pairs: plain receiver, GRO receiver (loopback target), and one for hostile arguments. */
export function loopback(): Promise<Pair[]> {
  pairs ??= Promise.all([openPair(false), openPair(true), openPair(false)]);
  return pairs;
}

/** Closes the sockets the targets opened (after the last case). */
export async function closeBatchTargets(): Promise<void> {
  const open = pairs;
  pairs = undefined;
  for (const p of (await open) ?? []) {
    p.rx.close();
    p.tx.close();
  }
}

export const RECV_SLOTS = 32;
const recvBuffer = new Uint8Array(65_536 * RECV_SLOTS);
const recvLengths = new Uint32Array(RECV_SLOTS);
const recvSegments = new Uint32Array(RECV_SLOTS);
const pause = () => new Promise((r) => setTimeout(r, 1));

/**
 * Reads `pair`'s receiver until `want` datagrams came (then one more poll: no extra one may
 * follow), or, without `want`, until a few polls find nothing; splits with `slot`-byte slots.
 */
export async function receive(pair: Pair, slot: number, want?: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const slots = Math.min(RECV_SLOTS, Math.floor(recvBuffer.length / slot));
  for (let idle = 0; idle < (want === undefined ? 4 : 500);) {
    const got = native!.recvBatch!(pair.rxFd, recvBuffer, slot, recvLengths.subarray(0, slots), pair.gro ? recvSegments : undefined);
    if (got < 0) fail(`recvBatch failed: errno ${-got}`);
    if (got > slots) fail(`recvBatch reported ${got} messages in ${slots} slots`);
    splitBatch(recvBuffer, slot, recvLengths, pair.gro ? recvSegments : undefined, got, (d) => out.push(d.slice()));
    if (want !== undefined && out.length >= want) {
      if (out.length > want || native!.recvBatch!(pair.rxFd, recvBuffer, slot, recvLengths) !== 0) fail('more datagrams than were sent');
      return out;
    }
    if (got === 0) {
      idle++;
      await pause();
    } else idle = 0;
  }
  return want === undefined ? out : fail(`${out.length} of ${want} datagrams came`);
}

/** Datagram `i` of a case: its bytes tell its index and position apart. */
export function fill(bytes: Uint8Array, i: number, seed: number): void {
  for (let j = 0; j < bytes.length; j++) bytes[j] = (seed + i * 131 + j * 7 + (j >> 8)) & 0xff;
}

export const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
