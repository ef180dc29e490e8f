import { describe, expect, it } from 'vitest';
import { resolveSendConfig, SEND_DEFAULTS, type SendOptions } from '../../sender/sendConfig.js';
import { PACING_NICE } from '../../util/threadPriority.js';

describe('resolveSendConfig', () => {
  it('applies every default once and freezes the result', () => {
    const c = resolveSendConfig({ file: 'f' });
    expect(c).toMatchObject({
      host: '0.0.0.0',
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
      ttl: 1,
      broadcastAddress: '255.255.255.255',
      minReceivers: 3,
      waitMs: 500,
      carousel: false,
      combineResends: true,
    });
    expect(Object.isFrozen(c.shared)).toBe(true);
  });

  it('refuses contradictions with SendOptionsError', () => {
    const bad: [object, RegExp][] = [
      [{ multicast: { group: '239.1.2.3', port: 1 }, broadcast: { port: 1 } }, /multicast or broadcast/],
      [{ minReceivers: 2 }, /apply to a multicast or broadcast/],
      [{ broadcast: { port: 9 }, carousel: true, receivers: 1 }, /carousel runs until stopped/],
      [{ encrypt: true }, /--encrypt needs --receiver-keys/],
      [{ maxReceivers: 0 }, /maxReceivers must be a whole number >= 1/],
      [{ rateBitsPerSecond: -1 }, /rate must be/],
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
