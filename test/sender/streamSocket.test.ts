import { describe, expect, it } from 'vitest';
import { sharedSocketPlan, unicastSocketPlan } from '../../sender/streamSocket.js';
import { resolveInterface, type InterfaceTable } from '../../util/netInterface.js';

const TABLE: InterfaceTable = {
  up: {
    eth0: [
      { address: '10.0.0.5', family: 'IPv4', netmask: '255.255.255.0', mac: '02:00:00:00:00:01', internal: false, cidr: '10.0.0.5/24' },
      { address: 'fe80::5', family: 'IPv6', netmask: 'ffff:ffff:ffff:ffff::', mac: '02:00:00:00:00:01', internal: false, cidr: 'fe80::5/64', scopeid: 2 },
    ],
    v4only: [{ address: '10.8.0.1', family: 'IPv4', netmask: '255.255.255.0', mac: '02:00:00:00:00:02', internal: false, cidr: '10.8.0.1/24' }],
  },
};
const eth0 = resolveInterface('eth0', TABLE);

describe('stream socket plans', () => {
  it("unicast: the receiver's family, from the interface's address of it", () => {
    expect(unicastSocketPlan({ address: '10.0.0.9', port: 5000 })).toEqual({ type: 'udp4', destination: { address: '10.0.0.9', port: 5000 } });
    expect(unicastSocketPlan({ address: '::1', port: 5000 })).toEqual({ type: 'udp6', destination: { address: '::1', port: 5000 } });
    expect(unicastSocketPlan({ address: 'fe80::9%eth0', port: 5000 }, eth0)).toEqual({
      type: 'udp6',
      bindAddress: 'fe80::5%eth0',
      destination: { address: 'fe80::9%eth0', port: 5000 },
    });
    expect(unicastSocketPlan({ address: '10.0.0.9', port: 5000 }, eth0).bindAddress).toBe('10.0.0.5');
    expect(() => unicastSocketPlan({ address: '2001:db8::9', port: 5000 }, resolveInterface('v4only', TABLE))).toThrow(
      '--interface v4only: interface v4only has no IPv6 address (it has 10.8.0.1), and a stream to 2001:db8::9 needs one',
    );
  });

  it('shared: udp6 for an IPv6 group with the interface by index, udp4 for IPv4 groups and broadcast', () => {
    const o = { ttl: 2, broadcastAddress: '10.0.0.255' };
    expect(sharedSocketPlan({ mode: 'multicast', group: 'ff02::114', port: 7071 }, o, eth0)).toEqual({
      type: 'udp6',
      multicastInterface: '::%eth0',
      ttl: 2,
      destination: { address: 'ff02::114', port: 7071 },
    });
    expect(sharedSocketPlan({ mode: 'multicast', group: '239.1.2.3', port: 7071 }, o)).toEqual({
      type: 'udp4',
      ttl: 2,
      destination: { address: '239.1.2.3', port: 7071 },
    });
    expect(sharedSocketPlan({ mode: 'broadcast', port: 7072 }, o, eth0)).toEqual({
      type: 'udp4',
      bindAddress: '10.0.0.5',
      broadcast: true,
      destination: { address: '10.0.0.255', port: 7072 },
    });
  });
});
