/** A shared stream's sender asks a large group for fewer reports (Manifest.progressIntervalMs). */
import { describe, expect, it } from 'vitest';
import { raptorqCodec } from '../../encoder/raptorq.js';
import { resolveReceiveConfig } from '../../receiver/receiveConfig.js';
import { ManifestTaking } from '../../receiver/senderChecks.js';
import { makeFile, makeManifest } from './receiverHarness.js';

describe('progress advice', () => {
  const config = resolveReceiveConfig({ host: '127.0.0.1', port: 7070, out: '/tmp' });
  const manifest = makeManifest(makeFile(20_000, 1), 8_192, 1_024);
  const interval = (progressIntervalMs?: number) =>
    new ManifestTaking(config, { ...manifest, ...(progressIntervalMs === undefined ? {} : { progressIntervalMs }) }, undefined).createCore(0, raptorqCodec())
      .progressIntervalMs;

  it("takes the sender's slower interval, and never reports more often than its own", () => {
    expect(interval()).toBe(20);
    expect(interval(625)).toBe(625);
    expect(interval(5)).toBe(20);
  });
});
