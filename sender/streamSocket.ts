/**
 * The UDP socket a stream worker sends on, planned on the main thread (where the interface was
 * resolved, once) and opened in the worker: its family follows the destination (a receiver's
 * address, the multicast group; broadcast is IPv4), `--interface` picks the local address it is
 * bound to and, for multicast, the interface the group is sent on.
 *
 * Binding to the interface's address also picks the interface for a broadcast (Linux sends a
 * limited broadcast out of the interface that owns the bound source address); for unicast it
 * picks the source address, and routing the way there.
 */
import type { Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { DataPlane } from '../control/messages.js';
import { interfaceAddress, ipv6MulticastInterface, type NetInterface } from '../util/netInterface.js';

export interface StreamSocketPlan {
  readonly type: 'udp4' | 'udp6';
  /** Local address to bind (port 0); absent: any. */
  readonly bindAddress?: string;
  /** IP_MULTICAST_IF / IPV6_MULTICAST_IF: the interface's IPv4 address, or `::%NAME`. */
  readonly multicastInterface?: string;
  /** Multicast TTL (hop limit); absent: not a multicast socket. */
  readonly ttl?: number;
  readonly broadcast?: boolean;
  readonly destination: { readonly address: string; readonly port: number };
}

/** A receiver's own stream to `destination` (its control connection's address, IPv4-mapped ones unmapped). Throws InterfaceError. */
export function unicastSocketPlan(destination: { address: string; port: number }, iface?: NetInterface): StreamSocketPlan {
  const v6 = isIP(zoneless(destination.address)) === 6;
  const local = iface && interfaceAddress(iface, v6 ? 'IPv6' : 'IPv4', `a stream to ${destination.address}`);
  return Object.freeze({
    type: v6 ? 'udp6' : 'udp4',
    ...(local ? { bindAddress: local.bindAddress } : {}),
    destination: Object.freeze({ ...destination }),
  });
}

/** The one stream of a multicast or broadcast session. Throws InterfaceError. */
export function sharedSocketPlan(plane: DataPlane, o: { ttl: number; broadcastAddress: string }, iface?: NetInterface): StreamSocketPlan {
  if (plane.mode === 'broadcast') {
    const local = iface && interfaceAddress(iface, 'IPv4', 'a broadcast stream (IPv4 only)');
    return Object.freeze({
      type: 'udp4',
      ...(local ? { bindAddress: local.bindAddress } : {}),
      broadcast: true,
      destination: Object.freeze({ address: o.broadcastAddress, port: plane.port }),
    });
  }
  const v6 = isIP(plane.group) === 6;
  const destination = Object.freeze({ address: plane.group, port: plane.port });
  if (v6) {
    // The index picks the interface (IPV6_MULTICAST_IF); the source address follows from it.
    const multicast = iface && (interfaceAddress(iface, 'IPv6', `the IPv6 multicast group ${plane.group}`), ipv6MulticastInterface(iface));
    return Object.freeze({ type: 'udp6', ...(multicast ? { multicastInterface: multicast } : {}), ttl: o.ttl, destination });
  }
  const local = iface && interfaceAddress(iface, 'IPv4', `the IPv4 multicast group ${plane.group}`);
  return Object.freeze({
    type: 'udp4',
    ...(local ? { bindAddress: local.bindAddress, multicastInterface: local.address } : {}),
    ttl: o.ttl,
    destination,
  });
}

/**
 * Binds and connects `socket` (made with `plan.type`) as planned. A connected socket skips the
 * per-send address handling; a send with an address would go through an asynchronous lookup,
 * and the pump would reuse the buffer before it left.
 */
export async function connectStreamSocket(socket: Socket, plan: StreamSocketPlan): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, plan.bindAddress, () => {
      socket.off('error', reject);
      resolve();
    });
  }).catch((e: Error) => {
    throw new Error(`cannot bind the stream's UDP socket${plan.bindAddress ? ` to ${plan.bindAddress}` : ''}: ${e.message}`);
  });
  const to = `${plan.destination.address.includes(':') ? `[${plan.destination.address}]` : plan.destination.address}:${plan.destination.port}`;
  try {
    if (plan.ttl !== undefined) {
      socket.setMulticastTTL(plan.ttl);
      socket.setMulticastLoopback(true); // receivers on the sender's own host
      // Before connect: an IPv6 link-scope group (ff02::) cannot be connected to without it.
      if (plan.multicastInterface) socket.setMulticastInterface(plan.multicastInterface);
    }
    if (plan.broadcast) socket.setBroadcast(true);
  } catch (e) {
    throw new Error(`cannot set up the stream to ${to}: ${(e as Error).message}`);
  }
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    // The callback gets connect's own error (the 'error' event then does not fire).
    socket.connect(plan.destination.port, plan.destination.address, (e?: Error) => {
      socket.off('error', reject);
      if (e) reject(e);
      else resolve();
    });
  }).catch((e: Error) => {
    throw new Error(`cannot send to ${to}: ${e.message}`);
  });
}

function zoneless(address: string): string {
  const at = address.indexOf('%');
  return at < 0 ? address : address.slice(0, at);
}
