import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../cli/program.js';

afterEach(() => vi.restoreAllMocks());

describe('fountcast --version', () => {
  it('prints the package version and the wire protocol version, and exits 0', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      out.length = 0;
      expect(await runCli(['node', 'fountcast', flag])).toBe(0);
      expect(out.join('')).toBe(`${version} (wire protocol 4)\n`);
    }
  });
});
