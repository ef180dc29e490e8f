/**
 * A relay joining two subnets, in network namespaces made for the test (root and `ip` needed;
 * skipped otherwise): the publisher's namespace and the relay's share subnet A (a veth pair,
 * 10.231.1.0/24); the relay and 4 receivers, each in a namespace of its own, sit on subnet B (a
 * bridge in a switch namespace, 10.231.2.0/24). The publisher signs; the relay, given no key,
 * fetches over A and serves B by multicast (`relay --multicast … --interface <its B side>`),
 * cut-through; every receiver trusts only the publisher's public key and stores the identical
 * file. Only namespaces named for this run are made and deleted (afterAll, also after a
 * failure): the host's own network is never touched.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './cliProcess.js';
import { seededFile, sha256Of, tempDir } from './helpers.js';

const root = process.getuid?.() === 0;
const hasIp = spawnSync('ip', ['-V']).status === 0;
const skip = !root ? 'needs root (ip netns add)' : !hasIp ? 'needs the ip command (iproute2)' : undefined;

/** Namespace names of this run only: `fc23-<pid>-<role>`. */
const prefix = `fc23-${process.pid}`;
const ns = (role: string) => `${prefix}-${role}`;
const RECEIVERS = 4;
const made: string[] = [];
const children: ChildProcess[] = [];
let cleanupDir: (() => Promise<void>) | undefined;

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

function addNamespace(name: string): void {
  ip('netns', 'add', name);
  made.push(name);
  ip('-n', name, 'link', 'set', 'lo', 'up');
}

/**
 * Subnet A: publisher (10.231.1.1) — relay (10.231.1.2) on a veth pair. Subnet B: a bridge in
 * the switch namespace, the relay (10.231.2.1) and receiver i (10.231.2.1i) on it. Every link is
 * created inside a namespace of this run (`ip -n`), never in the host's.
 */
function buildNetwork(): void {
  for (const n of ['pub', 'relay', 'sw', ...Array.from({ length: RECEIVERS }, (_, i) => `r${i + 1}`)]) addNamespace(ns(n));
  ip('-n', ns('pub'), 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'a1', 'netns', ns('relay'));
  ip('-n', ns('pub'), 'addr', 'add', '10.231.1.1/24', 'dev', 'a0');
  ip('-n', ns('pub'), 'link', 'set', 'a0', 'up');
  ip('-n', ns('relay'), 'addr', 'add', '10.231.1.2/24', 'dev', 'a1');
  ip('-n', ns('relay'), 'link', 'set', 'a1', 'up');
  ip('-n', ns('sw'), 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0', 'stp_state', '0', 'forward_delay', '0');
  ip('-n', ns('sw'), 'link', 'set', 'br0', 'up');
  const plug = (host: string, dev: string, port: string, address: string) => {
    ip('-n', ns('sw'), 'link', 'add', port, 'type', 'veth', 'peer', 'name', dev, 'netns', ns(host));
    ip('-n', ns('sw'), 'link', 'set', port, 'master', 'br0', 'up');
    ip('-n', ns(host), 'addr', 'add', `${address}/24`, 'dev', dev);
    ip('-n', ns(host), 'link', 'set', dev, 'up');
    ip('-n', ns(host), 'route', 'add', '224.0.0.0/4', 'dev', dev);
  };
  plug('relay', 'b0', 'p0', '10.231.2.1');
  for (let i = 1; i <= RECEIVERS; i++) plug(`r${i}`, 'b0', `p${i}`, `10.231.2.${10 + i}`);
}

/** `fountcast ARGS` inside namespace `role`; resolves with its exit code and stderr. */
function run(role: string, args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn('ip', ['netns', 'exec', ns(role), process.execPath, cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, done: new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr }))) };
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const name of made) {
    // Whatever still runs in a namespace of this run (by pid), then the namespace.
    const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout.split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    spawnSync('ip', ['netns', 'del', name]);
  }
  await cleanupDir?.();
});

describe.skipIf(skip !== undefined)(`a relay between two subnets${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('publisher on A, relay on both, 4 receivers on B by multicast with --trust: identical files, no key at the relay', async () => {
    const t = await tempDir();
    cleanupDir = t.cleanup;
    buildNetwork();
    const keys = join(t.dir, 'keys');
    await mkdir(keys);
    execFileSync(process.execPath, [cli, 'keygen', '--out', join(keys, 'publisher')]);
    const file = join(t.dir, 'release.bin');
    const hash = await seededFile(file, 3 * 1024 * 1024, 231);
    const cache = join(t.dir, 'cache');

    const publisher = run('pub', [
      'send',
      file,
      '--sign',
      join(keys, 'publisher.key'),
      '--host',
      '10.231.1.1',
      '--port',
      '7070',
      '--segment-size',
      '512K',
      // Paced, so that the relay's multicast stream serves segments while later ones arrive.
      '--rate',
      '40M',
      '--fixed-rate',
      '--receivers',
      '1',
    ]);
    // The relay is given no key: only the publisher's public one, to check what it fetches.
    const relayArgs = [
      'relay',
      '10.231.1.1:7070',
      '--wait-for-upstream',
      '30s',
      '--host',
      '10.231.2.1',
      '--port',
      '7070',
      '--multicast',
      '239.255.23.1:7071',
      '--interface',
      'b0',
    ];
    const relay = run('relay', [
      ...relayArgs,
      '-v',
      '--cache',
      cache,
      '--receivers',
      String(RECEIVERS),
      '--trust',
      join(keys, 'publisher.pub'),
      '--trust-state',
      join(t.dir, 'relay.trust.json'),
    ]);
    const receivers = Array.from({ length: RECEIVERS }, (_, i) => {
      const out = join(t.dir, `r${i + 1}`);
      return {
        out,
        run: mkdir(out).then(
          () =>
            run(`r${i + 1}`, [
              'receive',
              '10.231.2.1:7070',
              '--out',
              out,
              '--interface',
              'b0',
              '--wait-for-sender',
              '30s',
              '--trust',
              join(keys, 'publisher.pub'),
              '--trust-state',
              join(t.dir, `r${i + 1}.trust.json`),
            ]).done,
        ),
      };
    });
    const ends = await Promise.all(receivers.map((r) => r.run));
    for (const [i, e] of ends.entries()) expect(e.code, `receiver ${i + 1}: ${e.stderr}`).toBe(0);
    for (const r of receivers) expect(await sha256Of(join(r.out, 'release.bin'))).toBe(hash);
    const relayEnd = await relay.done;
    expect(relayEnd.code, relayEnd.stderr).toBe(0);
    // Cut-through: it served the publication on while it arrived.
    expect(relayEnd.stderr).toContain('serving release.bin (3145728 bytes) while it arrives from 10.231.1.1:7070');
    expect((await publisher.done).code).toBe(0);
    // No private key reached the relay: not on its command line, not in its cache.
    expect(relayArgs.join(' ')).not.toMatch(/--sign|\.key/);
    for (const name of await readdir(cache, { recursive: true })) {
      const path = join(cache, name);
      const text = await readFile(path, 'utf8').catch(() => '');
      expect(text, path).not.toMatch(/PRIVATE KEY/);
    }
  }, 90_000);
});
