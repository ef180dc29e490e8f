/**
 * Interfaces and IPv6 over real sockets. Multicast, veth and dual-stack runs happen inside a
 * private network namespace made for them (`unshare -rn`, as shared.test.ts): nothing reaches
 * the host's network. In it:
 * - IPv4 multicast on lo: a 224.0.0.0/4 route (`src 127.0.0.1` matters).
 * - IPv6 multicast on lo: a *local* ff00::/8 route in the local table. An ordinary route via lo
 *   is turned into a reject route by the kernel (it would loop), and sends then vanish as
 *   Ip6OutNoRoutes while connect and send report success.
 * - A veth pair v0/v1 with IPv4 and IPv6 addresses, v0 also the link-local fe80::a (nodad: no
 *   wait for duplicate detection),
 *   and accept_local on v1: both ends are this namespace's addresses, and a datagram from a
 *   local source arriving from outside is otherwise dropped as a martian.
 * - A veth pair d0/d1 left down, an interface v4only with only an IPv4 address.
 * Loopback-only runs (IPv6 unicast on ::1, a missing interface) run on the host's lo.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { receive } from '../../receiver/receive.js';
import { send } from '../../sender/send.js';
import { quiet, seededFile, sha256Of, tempDir } from './helpers.js';

const runner = fileURLToPath(new URL('./netRun.mjs', import.meta.url));
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

const SETUP = [
  'set -e',
  'ip link set lo up',
  'ip link set lo multicast on',
  'ip route add 224.0.0.0/4 dev lo src 127.0.0.1',
  'ip -6 route add local ff00::/8 dev lo table local',
  'ip link add v0 type veth peer name v1',
  'ip addr add 10.9.0.1/24 dev v0',
  'ip addr add 10.9.0.2/24 dev v1',
  'ip -6 addr add fd09::1/64 dev v0 nodad',
  'ip -6 addr add fd09::2/64 dev v1 nodad',
  'ip -6 addr add fe80::a/64 dev v0 nodad',
  'ip link set v0 up',
  'ip link set v1 up',
  'echo 1 > /proc/sys/net/ipv4/conf/v1/accept_local',
  'ip link add d0 type veth peer name d1',
  'ip link add v4only type veth peer name v4peer',
  'ip addr add 10.8.0.1/24 dev v4only',
  'ip link set v4peer up',
  'ip link set v4only up',
  'sysctl -qw net.ipv6.conf.v4only.disable_ipv6=1 2>/dev/null || echo 1 > /proc/sys/net/ipv6/conf/v4only/disable_ipv6',
  'exec node "$0" "$1"',
].join('; ');

type Outcome = Record<string, unknown> & { ok: boolean; error?: string };

function inNamespace(cfg: Record<string, unknown>): Outcome {
  const r = spawnSync('unshare', ['-rn', 'sh', '-c', SETUP, runner, JSON.stringify(cfg)], { encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) {
    throw new Error(`cannot run in a private network namespace (unshare -rn): ${r.error?.message ?? `exit ${r.status}`}\n${r.stderr}`);
  }
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Outcome;
  if (!out.ok) throw new Error(`net run failed: ${out.error}`);
  return out;
}

describe('interfaces and IPv6 in a private network namespace', () => {
  it('IPv4 and IPv6 multicast on lo, the interface given by name and by address on either side', () => {
    const v4 = inNamespace({
      scenario: 'multicast',
      sizeBytes: 1_500_000,
      senderHost: '127.0.0.1',
      senderInterface: 'lo',
      multicast: { group: '239.255.42.1', port: 47081 },
      receivers: [
        { host: '127.0.0.1', interface: 'lo' },
        { host: '127.0.0.1', interface: '127.0.0.1' },
      ],
    });
    expect(v4).toMatchObject({ identical: [true, true], completed: 2 });
    // A link-scope group, sent on lo's index; the control connections over ::1.
    const v6 = inNamespace({
      scenario: 'multicast',
      sizeBytes: 1_500_000,
      senderHost: '::1',
      senderInterface: 'lo',
      multicast: { group: 'ff02::114', port: 47082 },
      receivers: [
        { host: '::1', interface: 'lo' },
        { host: '::1', interface: '::1' },
      ],
    });
    expect(v6).toMatchObject({ identical: [true, true], completed: 2 });
  });

  it('multicast across a veth pair: sent on v0, joined on v1 only, the bytes counted on v1', () => {
    for (const [group, port, senderInterface, receiverInterface] of [
      ['239.255.42.2', 47083, 'v0', 'v1'],
      ['ff02::115', 47084, '10.9.0.1', 'fd09::2'],
    ] as const) {
      const out = inNamespace({
        scenario: 'multicast',
        sizeBytes: 1_000_000,
        senderHost: '10.9.0.1',
        senderInterface,
        multicast: { group, port },
        receivers: [{ host: '10.9.0.1', interface: receiverInterface }],
        countOn: 'v1',
      });
      expect(out, group).toMatchObject({ identical: [true], completed: 1 });
      // The stream really crossed the pair: v1 took in at least the file.
      expect(out.countedBytes as number, group).toBeGreaterThan(1_000_000);
    }
  });

  it('unicast from the default dual-stack listener to IPv4, IPv6 and link-local receivers, the interface by name and by address', () => {
    const out = inNamespace({
      scenario: 'unicast',
      sizeBytes: 1_000_000,
      senderInterface: 'lo',
      receivers: [
        { host: '127.0.0.1', interface: 'lo' },
        { host: '::1', interface: '::1' },
      ],
    });
    expect(out).toMatchObject({ identical: [true, true], completed: 2, peers: ['127.0.0.1', '::1'] });
    // A link-local sender address with its zone, as `receive [fe80::a%v0]:PORT` gives it.
    const linkLocal = inNamespace({ scenario: 'unicast', sizeBytes: 1_000_000, receivers: [{ host: 'fe80::a%v0' }] });
    expect(linkLocal).toMatchObject({ identical: [true], completed: 1, peers: [expect.stringMatching(/^fe80::.*%v0$/)] });
  });

  it('a shared stream that fails mid-transfer ends the session: every receiver told why, send() rejects, newcomers refused', () => {
    const out = inNamespace({ scenario: 'streamFails', sizeBytes: 4_000_000 });
    expect(out.sendError).toMatchObject({
      name: 'StreamFailedError',
      // Under load the route may go before the stream's socket connects: either way it is this failure.
      message: expect.stringMatching(/^the shared stream failed: (UDP send failed|cannot send to \S+): .*ENETUNREACH/),
    });
    expect(out.endedMs as number).toBeLessThan(3000);
    for (const e of out.errors as string[]) expect(e).toMatch(/the shared stream failed: (UDP send failed|cannot send to)/);
    expect(out.late).toMatch(/ECONNREFUSED/);
  });

  it('an interface that is down or lacks the family fails at once on both sides, naming it', () => {
    const out = inNamespace({ scenario: 'unusable' });
    // sysfs shows the host's interfaces here: down and address-less are one message.
    expect(out.down).toMatchObject({ name: 'InterfaceError', message: '--interface d0: interface d0 is down or has no address' });
    expect(out.rxDown).toMatchObject({ name: 'InterfaceError', message: '--interface d0: interface d0 is down or has no address' });
    expect(out.noV6).toMatchObject({
      name: 'InterfaceError',
      message: '--interface v4only: interface v4only has no IPv6 address (it has 10.8.0.1), and the IPv6 multicast group ff02::114 needs one',
    });
  });
});

describe('IPv6 and interfaces on the host loopback', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('unicast over ::1, both sides on lo by name', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'f.bin');
    const hash = await seededFile(file, 2_000_000, 61);
    let onPort!: (p: number) => void;
    const listening = new Promise<number>((r) => (onPort = r));
    const done = send({ file, host: '::1', port: 0, receivers: 1, interface: 'lo', logger: quiet, onListening: (a) => onPort(a!.port) });
    const port = await listening;
    const got = await receive({ host: '::1', port, out: join(t.dir, 'got.bin'), interface: 'lo', logger: quiet });
    const summary = await done;
    expect(await sha256Of(got.path)).toBe(hash);
    expect(summary.completed).toBe(1);
    expect(summary.receivers[0]!.address).toBe('::1');
  });

  it('the CLI: a missing interface fails in under a second on both sides, one line naming it', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const file = join(t.dir, 'f.bin');
    await seededFile(file, 1000, 62);
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string; ms: number }>((resolve) => {
        const t0 = performance.now();
        const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.once('exit', (code) => resolve({ code, err, ms: performance.now() - t0 }));
      });
    const sender = await run(['send', file, '--host', '127.0.0.1', '--port', '0', '--multicast', '239.255.42.1:47085', '--interface', 'fountcast-no-such0']);
    const receiver = await run(['receive', '127.0.0.1:9', '--out', t.dir, '--interface', 'fountcast-no-such0']);
    for (const r of [sender, receiver]) {
      expect(r.code).toBe(1);
      expect(r.ms).toBeLessThan(1000);
      const lines = r.err.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/--interface fountcast-no-such0: no interface fountcast-no-such0 on this host \(up: .*\)$/);
    }
  });
});
