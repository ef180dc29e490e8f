/**
 * `--interface NAME|ADDRESS`, resolved once at start into the addresses the sockets need.
 *
 * os.networkInterfaces() lists only interfaces that are up and running and have an address
 * (libuv skips the rest), so a name missing from it may not exist, be down, or have no address.
 * To say which, the kernel's list of every interface of this network namespace is read from
 * /proc/net/dev (per namespace), and the state from /sys/class/net/NAME, but only when sysfs
 * lists the same interfaces: inside a private network namespace sysfs often still shows the
 * host's, whose `eth0` is not ours.
 *
 * The socket APIs take these forms (libuv parses them; an IPv6 zone is an interface name):
 * - IPv4 multicast interface, bind address: the interface's IPv4 address.
 * - IPv6 multicast interface (IPV6_MULTICAST_IF, addMembership): `::%NAME`, the index by name.
 * - IPv6 bind address: the address, with `%NAME` when it is link-local (fe80::/10 needs a scope).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

export type AddressFamily = 'IPv4' | 'IPv6';

/** What an interface spec is resolved against (injected in tests). */
export interface InterfaceTable {
  /** os.networkInterfaces(): the interfaces that are up and running, with their addresses. */
  readonly up: Readonly<Record<string, readonly NetworkInterfaceInfo[] | undefined>>;
  /** Every interface the kernel has in this network namespace; undefined where that cannot be read. */
  readonly all?: readonly string[];
  /** Why a known interface is not in `up`, where the system says (see InterfaceTable.all). */
  readonly state?: (name: string) => { adminUp: boolean; carrier: boolean } | undefined;
}

export type InterfaceProblem = 'missing' | 'down' | 'no-carrier' | 'no-address' | 'wrong-family' | 'not-local';

/** `--interface` names something this host cannot use: one line saying which and why. */
export class InterfaceError extends Error {
  override readonly name = 'InterfaceError';
  constructor(
    message: string,
    /** The spec as given (a name or an address). */
    readonly interfaceSpec: string,
    readonly problem: InterfaceProblem,
  ) {
    super(message);
  }
}

/** One usable local address of the interface. */
export interface LocalAddress {
  readonly family: AddressFamily;
  /** Without a zone. */
  readonly address: string;
  /** What bind() takes: the address, with `%NAME` for an IPv6 link-local one. */
  readonly bindAddress: string;
}

/** An interface that is up, with its addresses; `address(family)` picks the one a socket needs. */
export interface NetInterface {
  /** The spec as given. */
  readonly spec: string;
  readonly name: string;
  /** The address given, when the spec was one (it is preferred for its family). */
  readonly given?: string;
  readonly addresses: readonly LocalAddress[];
}

/** The system's table: os.networkInterfaces(), /proc/net/dev and sysfs (Linux). */
export function systemInterfaceTable(): InterfaceTable {
  const all = procNetDevNames();
  return { up: networkInterfaces(), ...(all ? { all, state: sysfsState(all) } : {}) };
}

/**
 * Resolves `spec` (an interface name, or one of this host's addresses, IPv6 possibly with a
 * `%zone`): throws InterfaceError when it does not exist, is down, has no address, or the
 * address is not local.
 */
export function resolveInterface(spec: string, table: InterfaceTable = systemInterfaceTable()): NetInterface {
  const text = spec.trim();
  if (text === '') throw new InterfaceError('--interface: empty; give an interface name (eth0) or one of its addresses', spec, 'missing');
  const [bare, zone] = splitZone(text);
  if (isIP(bare) !== 0) return byAddress(spec, bare, zone, table);
  const name = text;
  const infos = table.up[name];
  if (infos && infos.length > 0) return Object.freeze({ spec, name, addresses: localAddresses(name, infos) });
  throw new InterfaceError(whyNotUp(name, table), spec, problemOf(name, table));
}

/**
 * The interface's address of `family`, for `purpose` (named in the error, e.g. "the IPv6
 * multicast group ff02::114"). The address given as the spec wins; else a global (or unique
 * local) one before a link-local one.
 */
export function interfaceAddress(iface: NetInterface, family: AddressFamily, purpose: string): LocalAddress {
  const mine = iface.addresses.filter((a) => a.family === family);
  const given = mine.find((a) => a.address === iface.given);
  const pick = given ?? mine.find((a) => !isLinkLocal(a.address)) ?? mine[0];
  if (pick) return pick;
  const have = iface.addresses.map((a) => a.address).join(', ');
  const which = iface.given ? `${iface.given} (interface ${iface.name})` : `interface ${iface.name}`;
  throw new InterfaceError(
    `--interface ${iface.spec}: ${which} has no ${family} address${have ? ` (it has ${have})` : ''}, and ${purpose} needs one`,
    iface.spec,
    'wrong-family',
  );
}

/** IPV6_MULTICAST_IF / addMembership's interface for an IPv6 group: the index, by name. */
export function ipv6MulticastInterface(iface: NetInterface): string {
  return `::%${iface.name}`;
}

function byAddress(spec: string, bare: string, zone: string | undefined, table: InterfaceTable): NetInterface {
  const wanted = normalize(bare);
  for (const [name, infos] of Object.entries(table.up)) {
    if (zone !== undefined && zone !== name) continue;
    if (!infos?.some((i) => normalize(i.address) === wanted)) continue;
    return Object.freeze({ spec, name, given: wanted, addresses: localAddresses(name, infos) });
  }
  throw new InterfaceError(
    `--interface ${spec}: ${bare} is not an address of this host${zone ? ` on ${zone}` : ''} (up: ${upSummary(table) || 'none'})`,
    spec,
    'not-local',
  );
}

function localAddresses(name: string, infos: readonly NetworkInterfaceInfo[]): readonly LocalAddress[] {
  return Object.freeze(
    infos.map((i) => {
      const family: AddressFamily = i.family === 'IPv6' ? 'IPv6' : 'IPv4';
      const address = normalize(i.address);
      const bindAddress = family === 'IPv6' && isLinkLocal(address) ? `${address}%${name}` : address;
      return Object.freeze({ family, address, bindAddress });
    }),
  );
}

function problemOf(name: string, table: InterfaceTable): InterfaceProblem {
  if (table.all && !table.all.includes(name)) return 'missing';
  const s = table.state?.(name);
  if (s && !s.adminUp) return 'down';
  if (s && !s.carrier) return 'no-carrier';
  return table.all ? 'no-address' : 'missing';
}

function whyNotUp(name: string, table: InterfaceTable): string {
  const up = upSummary(table);
  switch (problemOf(name, table)) {
    case 'down':
      return `--interface ${name}: interface ${name} is down (bring it up: ip link set ${name} up)`;
    case 'no-carrier':
      return `--interface ${name}: interface ${name} is up but has no link (no carrier)`;
    case 'no-address':
      // Without sysfs's word (a private namespace) down and address-less cannot be told apart.
      return table.state?.(name) ? `--interface ${name}: interface ${name} has no address` : `--interface ${name}: interface ${name} is down or has no address`;
    default:
      return table.all
        ? `--interface ${name}: no interface ${name} on this host (up: ${up || 'none'})`
        : `--interface ${name}: no interface ${name} is up on this host (up: ${up || 'none'})`;
  }
}

/** "lo 127.0.0.1, eth0 10.0.0.5": what the user could have meant. */
function upSummary(table: InterfaceTable): string {
  return Object.entries(table.up)
    .filter(([, infos]) => infos && infos.length > 0)
    .map(([name, infos]) => `${name} ${infos!.map((i) => i.address).join(' ')}`)
    .join(', ');
}

function splitZone(text: string): [string, string | undefined] {
  const at = text.indexOf('%');
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** Lower case, and an IPv4-mapped IPv6 address as its IPv4 one. */
function normalize(address: string): string {
  const a = address.toLowerCase();
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

export function isLinkLocal(address: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(address);
}

/** Interface names from /proc/net/dev (this process's network namespace), or undefined. */
function procNetDevNames(): string[] | undefined {
  try {
    return parseProcNetDev(readFileSync('/proc/net/dev', 'utf8'));
  } catch {
    return undefined; // not Linux
  }
}

export function parseProcNetDev(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^\s:]+):/.exec(line);
    if (m) names.push(m[1]!);
  }
  return names;
}

const IFF_UP = 0x1;

/** sysfs's state of an interface, when sysfs shows this namespace's interfaces (see the top). */
function sysfsState(all: readonly string[]): InterfaceTable['state'] {
  let listed: string[];
  try {
    listed = readdirSync('/sys/class/net');
  } catch {
    return undefined;
  }
  if (listed.length !== all.length || !all.every((n) => listed.includes(n))) return undefined;
  return (name) => {
    try {
      const flags = Number(readFileSync(`/sys/class/net/${name}/flags`, 'utf8').trim());
      const oper = readFileSync(`/sys/class/net/${name}/operstate`, 'utf8').trim();
      return { adminUp: (flags & IFF_UP) !== 0, carrier: oper !== 'down' && oper !== 'lowerlayerdown' };
    } catch {
      return undefined;
    }
  };
}
