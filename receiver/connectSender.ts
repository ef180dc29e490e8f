/**
 * The receiver's control connection, opened (adapter): TCP, or TLS 1.3 with client certificates,
 * retried while no sender listens there yet (waitForSenderMs), each attempt bounded by
 * connectTimeoutMs. The address family is settled first (controlFamily), so that the unicast
 * stream's socket is of the same family and `--interface` gives the local address of it.
 */
import { lookup } from 'node:dns/promises';
import { connect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { codecByName } from '../encoder/codecs.js';
import { interfaceAddress, type AddressFamily } from '../util/netInterface.js';
import { compileRaptorQModule } from '../encoder/raptorq.js';
import { ReceiveError } from './errors.js';
import type { ReceiveConfig } from './receiveConfig.js';

/**
 * While it waits for the sender anyway, a receiver compiles the codec's wasm (memoized, and
 * slowest when many receivers take their manifests at once, which is when a shared stream
 * waits for the last of them), once per process. A failure here is left for when the manifest
 * needs the codec, which reports it.
 */
let preparedWhileWaiting = false;
function prepareWhileWaiting(): void {
  if (preparedWhileWaiting) return;
  preparedWhileWaiting = true;
  try {
    codecByName('raptorq', compileRaptorQModule());
  } catch {
    // reported when the manifest needs the codec
  }
}

/** Connection errors that mean "no sender listening there yet" (waitForSenderMs retries them). */
const SENDER_NOT_UP = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);
const FIRST_RETRY_MS = 10;
// A refused attempt costs a SYN and a RST: forty a second keeps the start prompt (the race starts
// the receivers first) and is nothing on a LAN; after LONG_WAIT_MS, every RETRY_AFTER_LONG_MS.
const MAX_RETRY_MS = 25;
const LONG_WAIT_MS = 10_000;
const RETRY_AFTER_LONG_MS = 250;

/**
 * The family the control connection (and so the unicast stream) uses: the host's own when it is
 * an address, else the first the name resolves to that `--interface` has (any, without one).
 */
export async function controlFamily(o: Pick<ReceiveConfig, 'host' | 'port' | 'interface'>): Promise<AddressFamily> {
  const literal = isIP(o.host);
  if (literal !== 0) return literal === 6 ? 'IPv6' : 'IPv4';
  let found: { family: number }[];
  try {
    found = await lookup(o.host, { all: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ReceiveError(`cannot connect to ${o.host}:${o.port}: cannot resolve ${o.host} (${code ?? (e as Error).message})`, {
      cause: code,
      loss: 'connect-failed',
    });
  }
  const has = new Set(o.interface?.addresses.map((a) => (a.family === 'IPv6' ? 6 : 4)) ?? [4, 6]);
  const usable = found.find((a) => has.has(a.family)) ?? found[0];
  return usable?.family === 6 ? 'IPv6' : 'IPv4';
}

/** connectOnce, again after a short pause while the sender is not up yet (waitForSenderMs). */
export async function connectToSender(o: ReceiveConfig, keepTrying: () => boolean, family?: AddressFamily): Promise<Socket> {
  const started = performance.now();
  const deadline = started + o.waitForSenderMs;
  let pauseMs = FIRST_RETRY_MS;
  for (;;) {
    try {
      return await connectOnce(o, family);
    } catch (e) {
      const code = (e as ReceiveError).cause as string | undefined;
      if (!SENDER_NOT_UP.has(code ?? '') || !keepTrying()) throw e;
      if (performance.now() + pauseMs > deadline) {
        if (!o.waitForSenderMs) throw e;
        throw new ReceiveError(`${(e as Error).message} (kept trying for ${o.waitForSenderMs} ms)`, { cause: code, loss: 'connect-failed' });
      }
      if (pauseMs === FIRST_RETRY_MS) prepareWhileWaiting();
      await new Promise((r) => setTimeout(r, pauseMs));
      pauseMs = performance.now() - started > LONG_WAIT_MS ? RETRY_AFTER_LONG_MS : Math.min(MAX_RETRY_MS, pauseMs * 1.5);
    }
  }
}

function connectOnce(o: ReceiveConfig, family: AddressFamily | undefined): Promise<Socket> {
  const timeoutMs = o.connectTimeoutMs;
  // The interface's address of the family settled on (throws InterfaceError when it has none).
  const local = o.interface && family && interfaceAddress(o.interface, family, `the sender ${o.host}`);
  const where = { host: o.host, port: o.port, ...(family ? { family: family === 'IPv6' ? 6 : 4 } : {}), ...(local ? { localAddress: local.bindAddress } : {}) };
  return new Promise((resolve, reject) => {
    const tls = o.tls;
    const socket = tls
      ? tlsConnect({ ...where, ca: tls.ca, cert: tls.cert, key: tls.key, servername: tls.servername, minVersion: 'TLSv1.3' })
      : connect({ ...where, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      // ETIMEDOUT, the errno a kernel would give: the standing receiver reads it as "no sender there yet".
      reject(new ReceiveError(`no answer from ${o.host}:${o.port} within ${timeoutMs} ms`, { loss: 'connect-failed', cause: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new ReceiveError(`cannot connect to ${o.host}:${o.port}: ${e.message}`, { cause: e.code, loss: 'connect-failed' }));
    });
  });
}
