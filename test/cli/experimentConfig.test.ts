import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimentConfig } from '../../cli/experiment.js';

describe('fountcast experiment options', () => {
  it('takes defaults, lists, units and repeatable bursts', async () => {
    const { config } = await experimentConfig({
      schemes: 'raptorq,arq',
      loss: '0,0.2',
      burst: ['gilbert:0.01,0.3'],
      size: '2M',
      receivers: '1,100',
      seed: '9',
    });
    expect(config.schemes).toEqual(['raptorq', 'arq']);
    expect(config.losses).toEqual([
      { kind: 'bernoulli', loss: 0 },
      { kind: 'bernoulli', loss: 0.2 },
      { kind: 'gilbert', p: 0.01, r: 0.3 },
    ]);
    expect(config.sizeBytes).toBe(2 << 20);
    expect(config.receivers).toEqual([1, 100]);
    expect(config.symbolSize).toBe(1392);
    expect(config.trials).toBe(5);
    expect(config.seed).toBe(9);
  });

  it('reads a config file and lets the command line win', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fountcast-cfg-'));
    try {
      const file = join(dir, 'lan.json');
      await writeFile(file, JSON.stringify({ schemes: ['rs'], loss: [0.05], burst: 'gilbert:0.02,0.4', receivers: [10], trials: 3, seed: 4, out: 'x' }));
      const { config, out } = await experimentConfig({ config: file, trials: '7' });
      expect(config.schemes).toEqual(['rs']);
      expect(config.losses).toHaveLength(2);
      expect(config.trials).toBe(7);
      expect(config.seed).toBe(4);
      expect(out).toBe('x');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses unknown schemes, bad losses and bad counts with one clear message', async () => {
    await expect(experimentConfig({ schemes: 'raptorq,fec' })).rejects.toThrow(/unknown scheme "fec"/);
    await expect(experimentConfig({ loss: '0.1,1.5' })).rejects.toThrow(/loss "1.5"/);
    await expect(experimentConfig({ burst: ['gilbert:0.1'] })).rejects.toThrow(/gilbert/);
    await expect(experimentConfig({ receivers: '0' })).rejects.toThrow(/receivers/);
    await expect(experimentConfig({ config: '/nonexistent/lan.json' })).rejects.toThrow(/cannot read experiment config/);
  });

  it('--real: a sanity check bounded to what one machine can run, with its own pace', async () => {
    const { config } = await experimentConfig({ real: true, receivers: '1,20', rate: '100M' });
    expect(config.mode).toBe('real');
    expect(config.schemes).toEqual(['raptorq', 'lt-systematic', 'rs', 'arq']); // what send() can send
    expect(config.rateBytesPerSecond).toBe(12.5e6);
    expect((await experimentConfig({})).config.mode).toBe('sim');
    await expect(experimentConfig({ real: true, receivers: '21' })).rejects.toThrow(/at most 20 receivers/);
    await expect(experimentConfig({ real: true, decode: 'model' })).rejects.toThrow(/decodes for real/);
    await expect(experimentConfig({ real: true, reorder: '0.1' })).rejects.toThrow(/cannot reorder/);
    await expect(experimentConfig({ real: true, size: '1G' })).rejects.toThrow(/at most 256 MiB/);
    await expect(experimentConfig({ rate: '0' })).rejects.toThrow(/rate/);
  });
});
