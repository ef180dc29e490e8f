/**
 * Usage errors: one line and a hint to --help on stderr, exit 2, never the whole help; with
 * --json also an `error` event on stdout. Durations without a unit are usage errors.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 20_000 });
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

describe('usage errors', () => {
  it('an unknown option: one line naming it, a hint to the command help, exit 2', () => {
    const r = run('send', 'x', '--bogus');
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toEqual(["fountcast: error: unknown option '--bogus'", "(see 'fountcast send --help')"]);
    expect(r.stdout).toBe('');
  });

  it('a duration without a unit is refused with the unit suggested; --json adds one error event on stdout', () => {
    const plain = run('receive', '127.0.0.1:9', '--connect-timeout', '10000');
    expect(plain.status).toBe(2);
    expect(lines(plain.stderr)).toHaveLength(2);
    expect(plain.stderr).toMatch(/"10000" needs a unit, e\.g\. 10000s or 10000ms/);
    const json = run('receive', '127.0.0.1:9', '--connect-timeout', '10000', '--json');
    expect(json.status).toBe(2);
    const events = lines(json.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toEqual([{ event: 'error', kind: 'usage', message: expect.stringMatching(/needs a unit/), exitCode: 2 }]);
  });

  it('help into a pipe whose reader has gone (| head -1): no stack trace, exit 0', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [cli, 'receive', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // The reader takes nothing and goes away at once, as `head -1` does after its line.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('help shows defaults in human units and the exit codes', () => {
    const send = run('send', '--help');
    expect(send.status).toBe(0);
    expect(send.stdout).toMatch(/--idle-timeout <duration>\s+drop a receiver silent this long \(default:\s+5s\)/);
    expect(send.stdout).toMatch(/\(default:\s+4\s+MiB\)/);
    expect(send.stdout).not.toMatch(/default:\s+(5000|4194304|10000)\)/);
    expect(send.stdout).toMatch(/Exit codes: 0 done, 1 transfer failed, 2 usage error, 130 interrupted \(SIGINT\), 143 terminated \(SIGTERM\)/);
    expect(run('receive', '--help').stdout).toMatch(/--connect-timeout <duration>[^(]*\(default:\s+10s\)/);
  });
});
