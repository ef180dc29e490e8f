import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  interfaceAddress,
  InterfaceError,
  ipv6MulticastInterface,
  parseProcNetDev,
  resolveInterface,
  systemInterfaceTable,
  type InterfaceTable,
} from '../../util/netInterface.js';

const v4 = (address: string): NetworkInterfaceInfo =>
  ({ address, family: 'IPv4', netmask: '255.255.255.0', mac: '02:00:00:00:00:01', internal: false, cidr: `${address}/24` }) as NetworkInterfaceInfo;
const v6 = (address: string, scopeid = 0): NetworkInterfaceInfo =>
  ({
    address,
    family: 'IPv6',
    netmask: 'ffff:ffff:ffff:ffff::',
    mac: '02:00:00:00:00:01',
    internal: false,
    cidr: `${address}/64`,
    scopeid,
  }) as NetworkInterfaceInfo;

/** lo and eth0 up (eth0 with a link-local before its global IPv6), wlan0 down, eth1 without carrier, dummy0 up without address, v6only up. */
const table: InterfaceTable = {
  up: {
    lo: [v4('127.0.0.1'), v6('::1')],
    eth0: [v4('10.0.0.5'), v6('fe80::1', 2), v6('2001:db8::5')],
    v6only: [v6('fe80::9', 7)],
  },
  all: ['lo', 'eth0', 'wlan0', 'eth1', 'dummy0', 'v6only'],
  state: (name) =>
    ({
      lo: { adminUp: true, carrier: true },
      eth0: { adminUp: true, carrier: true },
      wlan0: { adminUp: false, carrier: false },
      eth1: { adminUp: true, carrier: false },
      dummy0: { adminUp: true, carrier: true },
      v6only: { adminUp: true, carrier: true },
    })[name],
};

function failure(f: () => unknown): InterfaceError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InterfaceError);
    return e as InterfaceError;
  }
  throw new Error('expected an InterfaceError');
}

describe('resolveInterface', () => {
  it('a name: its addresses, one per family on demand', () => {
    const eth0 = resolveInterface('eth0', table);
    expect(eth0.name).toBe('eth0');
    expect(interfaceAddress(eth0, 'IPv4', 'x').bindAddress).toBe('10.0.0.5');
    // A global address before a link-local one.
    expect(interfaceAddress(eth0, 'IPv6', 'x').address).toBe('2001:db8::5');
    expect(ipv6MulticastInterface(eth0)).toBe('::%eth0');
  });

  it('an IPv6 link-local address binds with its zone', () => {
    const only = resolveInterface('v6only', table);
    expect(interfaceAddress(only, 'IPv6', 'x').bindAddress).toBe('fe80::9%v6only');
  });

  it('an address: its interface, and that very address preferred for its family', () => {
    const byLinkLocal = resolveInterface('fe80::1%eth0', table);
    expect(byLinkLocal.name).toBe('eth0');
    expect(interfaceAddress(byLinkLocal, 'IPv6', 'x').bindAddress).toBe('fe80::1%eth0');
    expect(interfaceAddress(byLinkLocal, 'IPv4', 'x').address).toBe('10.0.0.5');
    expect(resolveInterface('10.0.0.5', table).name).toBe('eth0');
    expect(resolveInterface('::1', table).name).toBe('lo');
    expect(resolveInterface('2001:DB8::5', table).given).toBe('2001:db8::5');
    expect(resolveInterface('::ffff:127.0.0.1', table).name).toBe('lo');
  });

  it('a name that does not exist: one line naming it, and what is up', () => {
    const e = failure(() => resolveInterface('eth9', table));
    expect(e.name).toBe('InterfaceError');
    expect(e.problem).toBe('missing');
    expect(e.interfaceSpec).toBe('eth9');
    expect(e.message).toBe('--interface eth9: no interface eth9 on this host (up: lo 127.0.0.1 ::1, eth0 10.0.0.5 fe80::1 2001:db8::5, v6only fe80::9)');
    expect(e.message).not.toContain('\n');
  });

  it('down, no carrier, no address: each says so', () => {
    expect(failure(() => resolveInterface('wlan0', table))).toMatchObject({
      problem: 'down',
      message: '--interface wlan0: interface wlan0 is down (bring it up: ip link set wlan0 up)',
    });
    expect(failure(() => resolveInterface('eth1', table))).toMatchObject({ problem: 'no-carrier', message: expect.stringContaining('no carrier') });
    expect(failure(() => resolveInterface('dummy0', table))).toMatchObject({
      problem: 'no-address',
      message: '--interface dummy0: interface dummy0 has no address',
    });
  });

  it('without sysfs (a private namespace) down and address-less are one message', () => {
    const { state: _state, ...noSysfs } = table;
    expect(failure(() => resolveInterface('wlan0', noSysfs))).toMatchObject({
      problem: 'no-address',
      message: expect.stringContaining('is down or has no address'),
    });
    // Without the kernel's list either (not Linux): only "not up" can be said.
    const upOnly = { up: table.up };
    expect(failure(() => resolveInterface('wlan0', upOnly)).message).toContain('no interface wlan0 is up');
  });

  it('an address of no local interface, or on another interface than its zone', () => {
    expect(failure(() => resolveInterface('10.0.0.6', table))).toMatchObject({
      problem: 'not-local',
      message: expect.stringMatching(/^--interface 10\.0\.0\.6: 10\.0\.0\.6 is not an address of this host/),
    });
    expect(failure(() => resolveInterface('fe80::1%lo', table)).problem).toBe('not-local');
    expect(failure(() => resolveInterface('  ', table)).problem).toBe('missing');
  });

  it('no address of the family needed: names the interface, what it has and what needs it', () => {
    const only = resolveInterface('v6only', table);
    const e = failure(() => interfaceAddress(only, 'IPv4', 'the IPv4 multicast group 239.1.2.3'));
    expect(e.problem).toBe('wrong-family');
    expect(e.message).toBe('--interface v6only: interface v6only has no IPv4 address (it has fe80::9), and the IPv4 multicast group 239.1.2.3 needs one');
  });
});

describe('the system table', () => {
  it('parses /proc/net/dev', () => {
    const text = 'Inter-|   Receive |  Transmit\n face |bytes packets\n    lo: 1 2 3\n  eth0: 4 5 6\nveth-a@x: 0\n';
    expect(parseProcNetDev(text)).toEqual(['lo', 'eth0', 'veth-a@x']);
  });

  it('finds loopback here by name and by address', () => {
    const t = systemInterfaceTable();
    const lo = Object.keys(t.up).find((n) => t.up[n]!.some((i) => i.address === '127.0.0.1'))!;
    expect(resolveInterface(lo, t).name).toBe(lo);
    expect(resolveInterface('127.0.0.1', t).name).toBe(lo);
    if (t.all) expect(t.all).toContain(lo);
  });
});
