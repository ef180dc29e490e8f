/**
 * The shared stream's socket (adapter helper for receive.ts): binds the stream's port with
 * address reuse (several receivers on one host) and joins the group, on --interface when given.
 * Datagrams of other sessions on that port fail the session check later and are counted there.
 * Throws ReceiveError (the port cannot be bound, the group cannot be joined) or InterfaceError.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { DataPlane } from '../control/messages.js';
import { interfaceAddress, ipv6MulticastInterface, type NetInterface } from '../util/netInterface.js';
import { ReceiveError } from './errors.js';

export async function openSharedSocket(plane: DataPlane, iface: NetInterface | undefined, logger: Logger): Promise<UdpSocket> {
  const v6 = plane.mode === 'multicast' && isIP(plane.group) === 6;
  // Where to join (IPv4: the interface's address; IPv6: its index); throws InterfaceError.
  const joinOn =
    plane.mode === 'broadcast' || !iface
      ? undefined
      : v6
        ? (interfaceAddress(iface, 'IPv6', `the IPv6 multicast group ${plane.group}`), ipv6MulticastInterface(iface))
        : interfaceAddress(iface, 'IPv4', `the IPv4 multicast group ${plane.group}`).address;
  // A broadcast reaches the port on every interface (a socket bound to an address would miss it): only checked.
  if (plane.mode === 'broadcast' && iface) interfaceAddress(iface, 'IPv4', 'a broadcast stream (IPv4 only)');
  const udp = createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: true, recvBufferSize: 8 << 20, ...(v6 ? { ipv6Only: true } : {}) });
  try {
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(plane.port, () => {
        udp.off('error', reject);
        resolve();
      });
    }).catch((e: Error) => {
      throw new ReceiveError(`cannot listen on the shared stream's port ${plane.port}: ${e.message}`);
    });
    if (plane.mode === 'multicast') {
      try {
        udp.addMembership(plane.group, joinOn);
      } catch (e) {
        const on = iface ? ` on ${iface.name}` : '';
        throw new ReceiveError(`cannot join multicast group ${plane.group}${on}: ${(e as Error).message}`);
      }
    }
  } catch (e) {
    udp.close();
    throw e;
  }
  logger.info(
    { dataPlane: plane },
    plane.mode === 'multicast'
      ? `joined multicast ${v6 ? `[${plane.group}]` : plane.group}:${plane.port}${iface ? ` on ${iface.name}` : ''}`
      : `listening for broadcast on port ${plane.port}`,
  );
  return udp;
}
