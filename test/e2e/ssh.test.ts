/**
 * `send --to ssh://…` through a real OpenSSH server (sshRun.mjs starts it): three "hosts" that
 * are aliases of one sshd on 127.0.0.1, one of them a forced command at 10 % simulated loss,
 * and one whose key sshd does not know; a Subsystem reached with --exec "ssh -s". Every file
 * identical, the failed host named with SSH's own words, exit 1 for it, and the datagrams MACed
 * under the key each receiver got through its SSH channel.
 *
 * As root the run happens in a private mount and network namespace (`unshare -mn`): sshd needs
 * its privilege separation directory /run/sshd, which a tmpfs on /run provides there without
 * touching the host, and the multicast run gets a loopback of its own (as shared.test.ts). Not
 * root, sshd runs as this user (no privilege separation) on the host's 127.0.0.1, and the
 * multicast run is skipped. Skipped altogether, saying so, only when sshd is not installed
 * (.ci/run installs openssh-server).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { seededFile, sha256Of, tempDir } from './helpers.js';

const runner = fileURLToPath(new URL('./sshRun.mjs', import.meta.url));
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const SSHD = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'].find((p) => existsSync(p));
const root = process.getuid?.() === 0;
const NAMESPACE_SETUP = [
  'set -e',
  'ip link set lo up',
  'ip link set lo multicast on',
  'ip route add 224.0.0.0/4 dev lo src 127.0.0.1',
  'mount -t tmpfs tmpfs /run',
  'mkdir -m 755 /run/sshd',
  'exec "$0" "$1" "$2"',
].join('; ');

if (!SSHD) console.warn('ssh.test.ts: skipped: no sshd (/usr/sbin/sshd); install openssh-server and openssh-client');

interface SshOutcome {
  ok: boolean;
  error?: string;
  code: number | string;
  stderr: string;
  tagKinds: Record<string, number>;
  sshdLog: string;
}

function run(cfg: Record<string, unknown>): SshOutcome {
  const json = JSON.stringify({ sshd: SSHD, cli, ...cfg });
  const r = root
    ? spawnSync('unshare', ['-mn', 'sh', '-c', NAMESPACE_SETUP, process.execPath, runner, json], { encoding: 'utf8', timeout: 150_000 })
    : spawnSync(process.execPath, [runner, json], { encoding: 'utf8', timeout: 150_000 });
  if (r.error || r.status !== 0) throw new Error(`the ssh runner failed: ${r.error?.message ?? `exit ${r.status}`}\n${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as SshOutcome;
  if (!out.ok) throw new Error(`ssh run failed: ${out.error}`);
  return out;
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function setUp(size: number) {
  const t = await tempDir();
  cleanup = t.cleanup;
  const dir = join(t.dir, 'run');
  await mkdir(dir);
  const file = join(t.dir, 'image.bin');
  return { dir, file, hash: await seededFile(file, size, 2201) };
}

/** The receivers' lines as the sender relays them, prefixed with each host's name. */
const relayed = (stderr: string, host: string, what: RegExp) => stderr.split('\n').some((l) => l.includes(`[${host}]`) && what.test(l));

describe.skipIf(!SSHD)(`send --to ssh:// through a real sshd${SSHD ? '' : ' (skipped: no sshd installed)'}`, () => {
  it('unicast: three hosts (one a forced command at 10 % loss) and a Subsystem get identical files; a host with a wrong key fails by name', async () => {
    const { dir, file, hash } = await setUp(5_000_000);
    const out = run({ dir, file, subsystem: true });
    const why = `sender's log:\n${out.stderr}\nsshd's log:\n${out.sshdLog}`;
    for (const name of ['h1.bin', 'h2.bin', 'forced.bin', 'subsystem.bin']) expect(await sha256Of(join(dir, name)), `${name}\n${why}`).toBe(hash);
    expect(existsSync(join(dir, 'bad.bin'))).toBe(false);
    // Exit 1 for the one host that failed, named, in SSH's own words; the others went on.
    expect(out.code, why).toBe(1);
    expect(out.stderr).toMatch(/bad: .*Permission denied \(publickey/);
    expect(out.stderr).toMatch(/4 of 5 receiver\(s\) have the file/);
    expect(out.stderr).not.toMatch(/h1: |h2: |h3: /);
    // The remote sides' logs came back prefixed with their host, and each MACed its datagrams
    // under the key its SSH channel carried (no key files anywhere).
    for (const host of ['h1', 'h2', 'h3']) expect(relayed(out.stderr, host, /datagram HMAC-SHA256/), `${host}\n${why}`).toBe(true);
    expect(relayed(out.stderr, 'h3', /stored .*forced\.bin/)).toBe(true);
    // The forced command's loss really happened, and the sender saw it.
    const h3 = /h3 completed: .*loss seen ([\d.]+) %/.exec(out.stderr);
    expect(Number(h3?.[1])).toBeGreaterThan(5);
  }, 160_000);

  it.skipIf(!root)(
    `multicast in a private network namespace: one MACed stream, every host identical${root ? '' : ' (skipped: needs root)'}`,
    async () => {
      const { dir, file, hash } = await setUp(3_000_000);
      const out = run({ dir, file, multicast: { group: '239.255.42.7', port: 47077 } });
      const why = `sender's log:\n${out.stderr}`;
      for (const name of ['h1.bin', 'h2.bin', 'forced.bin']) expect(await sha256Of(join(dir, name)), `${name}\n${why}`).toBe(hash);
      expect(out.code, why).toBe(1);
      expect(out.stderr).toMatch(/bad: .*Permission denied \(publickey/);
      // One pass for the fleet: the stream waited for every host still running (bad never came).
      expect(out.stderr).toMatch(/starting the shared stream \(multicast 239\.255\.42\.7:47077\): 3 receiver\(s\) ready/);
      // Every datagram on the group carried an HMAC-SHA256 tag (kind 2), none a bare CRC-32. The
      // sniffer may miss some of ~2,200 under load (it reads without the receivers' batching).
      expect(out.tagKinds['2'], why).toBeGreaterThan(300);
      expect(Object.keys(out.tagKinds)).toEqual(['2']);
    },
    160_000,
  );
});
if (!root && SSHD) console.warn('ssh.test.ts: the multicast run needs root (sshd in a private network namespace): skipped');
