import { PassThrough } from 'node:stream';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_WINDOW, resolveReceiveConfig } from '../../receiver/receiveConfig.js';
import { receive } from '../../receiver/receive.js';

describe('resolveReceiveConfig', () => {
  it('applies every default once and freezes the result', () => {
    const c = resolveReceiveConfig({ host: '127.0.0.1', port: 7070 });
    expect(c).toMatchObject({
      out: '.',
      window: DEFAULT_WINDOW,
      connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
      waitForSenderMs: 0,
      simulateLoss: 0,
      seed: 1,
      trust: undefined,
      key: undefined,
    });
    expect(c.receiverId).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
    expect(c.decodeWorkers).toBeGreaterThanOrEqual(1);
    expect(Object.isFrozen(c)).toBe(true);
    expect(() => {
      (c as { window: number }).window = 3;
    }).toThrow(TypeError);
  });

  it('fills the trust state path and keeps given values', () => {
    const c = resolveReceiveConfig({ host: 'h', port: 1, window: 3, receiverId: 'r-1', trust: { publishers: [{} as never] } });
    expect(c.window).toBe(3);
    expect(c.receiverId).toBe('r-1');
    expect(c.trust?.statePath).toMatch(/trust-state\.json$/);
    expect(Object.isFrozen(c.trust)).toBe(true);
  });

  it.each([
    [{ port: 0 }, /port must be an integer in 1\.\.65535, not 0/],
    [{ window: 0 }, /window must be an integer in 1\.\.1024/],
    [{ window: 1.5 }, /window/],
    [{ decodeWorkers: 0 }, /decodeWorkers/],
    [{ connectTimeoutMs: 0 }, /connectTimeoutMs/],
    [{ waitForSenderMs: -1 }, /waitForSenderMs/],
    [{ simulateLoss: 1 }, /simulateLoss/],
    [{ seed: -1 }, /seed/],
    [{ receiverId: 'a b' }, /receiverId/],
    [{ host: '' }, /host/],
    [{ trust: { publishers: [] } }, /trust/],
    [{ noClobber: true, backupDir: '/b' }, /noClobber and backupDir exclude each other/],
    [{ backupDir: '' }, /backupDir/],
    [{ atomicTree: 'yes' as unknown as boolean }, /atomicTree must be a boolean/],
  ])('refuses %o with ReceiveOptionsError', (over, message) => {
    const err = (() => {
      try {
        resolveReceiveConfig({ host: 'h', port: 1, ...over });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toMatchObject({ name: 'ReceiveOptionsError', message: expect.stringMatching(message) });
  });

  it('the old-copy options default off; backupDir is resolved to an absolute path once', () => {
    const c = resolveReceiveConfig({ host: 'h', port: 1 });
    expect([c.noClobber, c.backupDir, c.atomicTree]).toEqual([false, undefined, false]);
    const d = resolveReceiveConfig({ host: 'h', port: 1, backupDir: 'old', atomicTree: true });
    expect(d.backupDir).toBe(resolve('old'));
    expect(d.atomicTree).toBe(true);
  });

  it("out '-' (standard output) takes none of the options that act on a stored file", () => {
    expect(resolveReceiveConfig({ host: 'h', port: 1, out: '-' }).out).toBe('-');
    for (const o of [{ sync: true }, { atomicTree: true }, { backupDir: '/b' }, { noClobber: true }]) {
      expect(() => resolveReceiveConfig({ host: 'h', port: 1, out: '-', ...o })).toThrow(/standard output\) stores no file/);
    }
  });

  it('receive() rejects bad options before opening anything', async () => {
    await expect(receive({ host: 'h', port: 1, window: 0 })).rejects.toMatchObject({ name: 'ReceiveOptionsError' });
  });

  it('a control stream instead of host and port: run once, no TLS, an address that is a unicast address', () => {
    const control = new PassThrough();
    expect(resolveReceiveConfig({ control, address: '10.0.0.7' })).toMatchObject({ control, address: '10.0.0.7', host: '', port: 0 });
    expect(() => resolveReceiveConfig({ control, host: 'h', port: 1 })).toThrow(/not both/);
    expect(() => resolveReceiveConfig({ control, waitForSenderMs: 1000 })).toThrow(/cannot be opened again/);
    expect(() => resolveReceiveConfig({ control, tls: { ca: '', cert: '', key: '' } })).toThrow(/tls applies to a TCP connection/);
    expect(() => resolveReceiveConfig({ control, address: '239.1.1.1' })).toThrow(/239.1.1.1" is not a unicast address/);
    expect(() => resolveReceiveConfig({ port: 1 })).toThrow(/host must be/);
  });
});
