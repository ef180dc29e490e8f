/**
 * A light receiver's sockets (adapter): its TCP control connection, driven through the product's
 * ControlChannel, and its own multicast socket (address reuse, group joined, read by the
 * receiver's descriptor reader) — one real socket of each kind per receiver, as `receive` has.
 * The core (lightSession.ts) decides everything.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect } from 'node:net';
import { ControlChannel } from '../../control/streamChannel.js';
import { readDatagrams, type DatagramReader } from '../../receiver/datagramReader.js';
import { LightSession, type LightCounts, type LightEvent, type LightSessionInit } from './lightSession.js';

export interface LightOutcome {
  readonly receiverId: string;
  readonly ok: boolean;
  readonly reason?: string;
  /** From connecting to its Stop(done) (or failure), ms. */
  readonly ms: number;
  readonly counts: LightCounts;
}

/**
 * Runs one light receiver against the sender at host:port. `recvBufferBytes`: the multicast
 * socket's receive buffer (500 of the receiver's 8 MiB would pin gigabytes if they fell behind).
 * @default 1 MiB. `preferEvents`: read with the 'message' event (epoll) instead of the
 * receiver's descriptor polling, whose idle polls (every 1-8 ms per socket) add up over hundreds
 * of sockets in one process.
 */
export function runLightClient(
  host: string,
  port: number,
  init: Omit<LightSessionInit, 'now'>,
  opts: { recvBufferBytes?: number; preferEvents?: boolean } = {},
): Promise<LightOutcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const core = new LightSession({ ...init, now: t0 });
    let udp: UdpSocket | undefined;
    let reader: DatagramReader | undefined;
    let settled = false;
    let armedFor: number | undefined;
    const finish = (ok: boolean, reason?: string) => {
      if (settled) return;
      settled = true;
      reader?.stop();
      udp?.close();
      // A failed run may leave the control connection open (a refused manifest): end it.
      if (!ok) setImmediate(() => channel.close(reason));
      resolve({ receiverId: init.receiverId, ok, reason, ms: performance.now() - t0, counts: { ...core.counts } });
    };
    const socket = connect({ host, port, noDelay: true });
    const channel = new ControlChannel<LightSession, LightEvent>(socket, core, (e) => {
      if (e.type === 'done') finish(true);
      else if (e.type === 'failed') finish(false, e.reason);
      else if (e.type === 'listen') listen(e.plane.port, e.plane.mode === 'multicast' ? e.plane.group : undefined);
    });
    const listen = (dataPort: number, group: string | undefined) => {
      const u = createSocket({ type: 'udp4', reuseAddr: true, recvBufferSize: opts.recvBufferBytes ?? 1 << 20 });
      udp = u;
      u.on('error', (err) => channel.act((c) => c.close(`multicast socket: ${err.message}`)));
      u.bind(dataPort, () => {
        if (group) u.addMembership(group);
        reader = readDatagrams(
          u,
          (d) => {
            core.handleDatagram(performance.now(), d);
            // Re-arm the channel's timer only when the next report's time moved (once per
            // report, not per datagram): 500 receivers' timers per datagram would cost more
            // than the datagrams.
            const at = core.pollTimeout();
            if (at !== armedFor || core.receiver?.complete) {
              armedFor = at;
              channel.act((c) => c.service(performance.now()));
            }
          },
          (err) => channel.act((c) => c.close(`multicast socket: ${err.message}`)),
          { preferEvents: opts.preferEvents },
        );
        channel.act((c) => c.handleListening(performance.now()));
      });
    };
  });
}
