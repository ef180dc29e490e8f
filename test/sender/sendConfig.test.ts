import { describe, expect, it } from 'vitest';
import { resolveSendConfig, SEND_DEFAULTS, type SendOptions } from '../../sender/sendConfig.js';
import type { InterfaceTable } from '../../util/netInterface.js';
import { PACING_NICE } from '../../util/threadPriority.js';

describe('resolveSendConfig', () => {
  it('applies every default once and freezes the result', () => {
    const c = resolveSendConfig({ file: 'f' });
    expect(c).toMatchObject({
      host: '::',
      port: 7070,
      rateBytesPerSecond: 125_000_000,
      fixedRate: false,
      streamNice: 0,
      recovery: 'auto',
      codec: 'raptorq',
      maxReceivers: 64,
      maxPendingHandshakes: 64,
      giveUpAfterMs: 60_000,
      segmentSize: 4 << 20,
      symbolSize: 1392,
      idleTimeoutMs: 5000,
      heartbeatIntervalMs: 1000,
      handshakeTimeoutMs: 5000,
      encrypt: false,
    });
    expect(c.shared).toBeUndefined();
    expect(c.receivers).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(SEND_DEFAULTS)).toBe(true);
  });

  it('takes the rate in bits per second and holds it in bytes per second; a declared rate raises the stream threads', () => {
    const c = resolveSendConfig({ file: 'f', rateBitsPerSecond: 400e6, fixedRate: true });
    expect(c).toMatchObject({ rateBytesPerSecond: 50e6, fixedRate: true, streamNice: PACING_NICE });
    // No ceiling: nothing to pace at exactly.
    expect(resolveSendConfig({ file: 'f', rateBitsPerSecond: 0, fixedRate: true })).toMatchObject({ rateBytesPerSecond: 0, fixedRate: false, streamNice: 0 });
    expect(resolveSendConfig({ file: 'f', codec: 'arq', recovery: 'fountain' }).recovery).toBe('resend');
  });

  it('resolves the shared stream and its start policy', () => {
    const c = resolveSendConfig({ file: 'f', multicast: { group: '239.1.2.3', port: 7071 }, minReceivers: 3, waitMs: 500 });
    expect(c.shared).toEqual({
      dataPlane: { mode: 'multicast', group: '239.1.2.3', port: 7071 },
      socket: { type: 'udp4', ttl: 1, destination: { address: '239.1.2.3', port: 7071 } },
      ttl: 1,
      broadcastAddress: '255.255.255.255',
      minReceivers: 3,
      waitMs: 500,
      carousel: false,
      combineResends: true,
      repeatFinalResends: true,
    });
    expect(Object.isFrozen(c.shared)).toBe(true);
  });

  it('plans the shared socket from the group and the interface, by name or by address', () => {
    const plan = (o: SendOptions) => resolveSendConfig({ file: 'f', ...o }, Date.now, () => TABLE).shared!.socket;
    expect(plan({ multicast: { group: '239.1.2.3', port: 7071 }, interface: 'eth0' })).toEqual({
      type: 'udp4',
      bindAddress: '10.0.0.5',
      multicastInterface: '10.0.0.5',
      ttl: 1,
      destination: { address: '239.1.2.3', port: 7071 },
    });
    // IPv6: the interface by index (its name as the zone); a link-scope group needs one.
    expect(plan({ multicast: { group: 'ff02::114', port: 7071 }, interface: 'eth0', ttl: 4 })).toEqual({
      type: 'udp6',
      multicastInterface: '::%eth0',
      ttl: 4,
      destination: { address: 'ff02::114', port: 7071 },
    });
    expect(plan({ multicast: { group: 'ff05::114', port: 7071 } })).toMatchObject({ type: 'udp6', destination: { address: 'ff05::114' } });
    expect(plan({ broadcast: { port: 9 }, interfaceAddress: '10.0.0.5' })).toEqual({
      type: 'udp4',
      bindAddress: '10.0.0.5',
      broadcast: true,
      destination: { address: '255.255.255.255', port: 9 },
    });
    expect(resolveSendConfig({ file: 'f', interface: 'lo' }, Date.now, () => TABLE).interface).toMatchObject({ name: 'lo' });
  });

  it('an interface that cannot carry the stream fails at once with InterfaceError', () => {
    const resolve = (o: SendOptions) => () => resolveSendConfig({ file: 'f', ...o }, Date.now, () => TABLE);
    expect(resolve({ interface: 'eth9' })).toThrow(/^--interface eth9: no interface eth9 is up on this host/);
    expect(resolve({ multicast: { group: '239.1.2.3', port: 7071 }, interface: 'v6only' })).toThrow(
      '--interface v6only: interface v6only has no IPv4 address (it has fe80::9), and the IPv4 multicast group 239.1.2.3 needs one',
    );
    expect(resolve({ broadcast: { port: 9 }, interface: 'v6only' })).toThrow(/broadcast stream \(IPv4 only\)/);
    try {
      resolve({ interface: 'eth9' })();
    } catch (e) {
      expect((e as Error).name).toBe('InterfaceError');
    }
  });

  it('refuses contradictions with SendOptionsError', () => {
    const bad: [object, RegExp][] = [
      [{ multicast: { group: '239.1.2.3', port: 1 }, broadcast: { port: 1 } }, /multicast or broadcast/],
      [{ minReceivers: 2 }, /apply to a multicast or broadcast/],
      [{ broadcast: { port: 9 }, carousel: true, receivers: 1 }, /carousel runs until stopped/],
      [{ encrypt: true }, /--encrypt needs --receiver-keys/],
      [{ maxReceivers: 0 }, /maxReceivers must be a whole number >= 1/],
      [{ rateBitsPerSecond: -1 }, /rate must be/],
      [{ multicast: { group: 'ff02::114', port: 7071 } }, /ff02::114 is link-scoped: say which link with an interface/],
      [{ multicast: { group: 'fe80::1', port: 7071 } }, /not a multicast address/],
      [{ broadcast: { port: 9, address: 'ff02::1' } }, /broadcast is IPv4 only/],
      [{ interface: 'lo', interfaceAddress: '127.0.0.1' }, /not both/],
    ];
    for (const [o, why] of bad) {
      expect(() => resolveSendConfig({ file: 'f', ...o })).toThrow(why);
      try {
        resolveSendConfig({ file: 'f', ...o });
      } catch (e) {
        expect((e as Error).name).toBe('SendOptionsError');
      }
    }
  });

  it('takes file or paths (exactly one), the symlink policy and a tree name', () => {
    expect(resolveSendConfig({ file: 'f' })).toMatchObject({ paths: ['f'], symlinks: 'skip' });
    expect(resolveSendConfig({ file: 'f' }).name).toBeUndefined();
    const c = resolveSendConfig({ paths: ['a', 'dir/'], symlinks: 'keep', name: 'release-7' });
    expect(c).toMatchObject({ paths: ['a', 'dir/'], symlinks: 'keep', name: 'release-7' });
    expect(Object.isFrozen(c.paths)).toBe(true);
    const bad: [object, RegExp][] = [
      [{}, /exactly one of file and paths/],
      [{ file: 'f', paths: ['g'] }, /exactly one of file and paths/],
      [{ paths: [] }, /one or more non-empty paths/],
      [{ paths: [''] }, /one or more non-empty paths/],
      [{ paths: ['a'], symlinks: 'follow' }, /symlinks must be skip or keep/],
      [{ paths: ['a'], name: 'a/b' }, /name "a\/b" has a \//],
      [{ paths: ['a'], name: '..' }, /has a \.\. component/],
      [{ paths: ['a'], name: '' }, /has an empty component/],
      [{ paths: ['a'], name: 'x\ny' }, /control character/],
    ];
    for (const [o, why] of bad) expect(() => resolveSendConfig(o as SendOptions), JSON.stringify(o)).toThrow(why);
  });

  it('named receivers (peers): keys handed over in their streams unless anonymous; no listener options', () => {
    const peer = (name: string) => ({ name, open: () => ({}) as never });
    const c = resolveSendConfig({ file: 'f', peers: [peer('a'), peer('b')] });
    expect(c).toMatchObject({ channelKeys: true, encrypt: false, maxReceivers: 64 });
    expect(resolveSendConfig({ file: 'f', peers: [peer('a')], encrypt: true }).encrypt).toBe(true);
    expect(resolveSendConfig({ file: 'f', peers: [peer('a')], anonymous: true }).channelKeys).toBe(false);
    expect(resolveSendConfig({ file: 'f', peers: Array.from({ length: 100 }, (_, i) => peer(`h${i}`)) }).maxReceivers).toBe(100);
    expect(resolveSendConfig({ file: 'f' }).channelKeys).toBe(false);
    const refused: [Partial<SendOptions>, RegExp][] = [
      [{ peers: [peer('a')], anonymous: true, encrypt: true }, /exclude each other/],
      [{ anonymous: true }, /anonymous applies to receivers reached/],
      [{ peers: [] }, /at least one/],
      [{ peers: [peer('a'), peer('a')] }, /two receivers are named "a"/],
      [{ peers: [peer('a')], receivers: 1 }, /receivers cannot apply/],
      [{ peers: [peer('a')], receiverKeys: async () => undefined }, /receiverKeys cannot apply/],
      [{ peers: [peer('a')], tls: { cert: '', key: '', ca: '' } }, /tls cannot apply/],
      [{ peers: [peer('a')], multicast: { group: '239.1.1.1', port: 7071 }, carousel: true }, /carousel cannot apply/],
    ];
    for (const [o, why] of refused) expect(() => resolveSendConfig({ file: 'f', ...o }), String(why)).toThrow(why);
  });
});

const TABLE: InterfaceTable = {
  up: {
    lo: [{ address: '127.0.0.1', family: 'IPv4', netmask: '255.0.0.0', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
    eth0: [
      { address: '10.0.0.5', family: 'IPv4', netmask: '255.255.255.0', mac: '02:00:00:00:00:01', internal: false, cidr: '10.0.0.5/24' },
      { address: 'fe80::5', family: 'IPv6', netmask: 'ffff:ffff:ffff:ffff::', mac: '02:00:00:00:00:01', internal: false, cidr: 'fe80::5/64', scopeid: 2 },
    ],
    v6only: [
      { address: 'fe80::9', family: 'IPv6', netmask: 'ffff:ffff:ffff:ffff::', mac: '02:00:00:00:00:02', internal: false, cidr: 'fe80::9/64', scopeid: 3 },
    ],
  },
};
