/**
 * Mutual TLS 1.3 on the control channel over 127.0.0.1. Certificates are made for the test with
 * the openssl command line (Debian's openssl package; the test fails, not skips, without it).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect as tlsConnect } from 'node:tls';
import { receive } from '../../receiver/receive.js';
import { quiet, seededFile, sha256Of, sendOnLoopback, tempDir } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** A CA and, signed by it, certificates for the given names (SAN), as PEM files in `dir`. */
async function pki(dir: string, ca: string, leaves: { name: string; san: string }[]) {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=${ca}`);
  for (const { name, san } of leaves) {
    ssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    await writeFile(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  }
  const pem = (f: string) => readFile(join(dir, f));
  return { pem };
}

describe('mutual TLS on the control channel', () => {
  it('transfers with both certificates, and refuses clients without one, with a foreign one, or without TLS', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const certs = join(t.dir, 'pki');
    await mkdir(certs);
    const { pem } = await pki(certs, 'lab-ca', [
      { name: 'sender', san: 'IP:127.0.0.1' },
      { name: 'client', san: 'DNS:lab-pc-17' },
    ]);
    await pki(certs, 'rogue-ca', [{ name: 'rogue', san: 'DNS:rogue' }]);
    const file = join(t.dir, 'payload.bin');
    const hash = await seededFile(file, 500_000, 12);

    const stop = new AbortController();
    const { port, done } = await sendOnLoopback({
      file,
      logger: quiet,
      signal: stop.signal,
      tls: { cert: await pem('sender.pem'), key: await pem('sender.key'), ca: await pem('lab-ca.pem') },
    });
    const caPem = await pem('lab-ca.pem');
    const out = join(t.dir, 'out');
    await mkdir(out);
    const rx = (tls: Parameters<typeof receive>[0]['tls']) =>
      receive({ host: '127.0.0.1', port, out, tls, logger: quiet, connectTimeoutMs: 5000 }).catch((e: Error) => e);

    const ok = await rx({ ca: await pem('lab-ca.pem'), cert: await pem('client.pem'), key: await pem('client.key') });
    expect(ok).not.toBeInstanceOf(Error);
    expect(await sha256Of(join(out, 'payload.bin'))).toBe(hash);

    // A client certificate from another CA, and no TLS at all: refused before any protocol.
    const foreign = await rx({ ca: await pem('lab-ca.pem'), cert: await pem('rogue.pem'), key: await pem('rogue.key') });
    expect(foreign).toMatchObject({
      name: 'ReceiveError',
      message: expect.stringMatching(/closed the connection before answering \(it may have refused this receiver's TLS certificate\)/),
    });
    const plain = await rx(undefined);
    expect(plain).toMatchObject({
      name: 'ReceiveError',
      message: expect.stringMatching(/closed the connection before answering \(a sender that requires TLS/),
    });
    expect(await readdir(out)).toEqual(['payload.bin']);
    // A TLS client that presents no certificate at all.
    const noCert = await new Promise<string>((resolve) => {
      const c = tlsConnect({ host: '127.0.0.1', port, ca: caPem, minVersion: 'TLSv1.3' }, () => c.write(Buffer.from([0, 0, 0, 2, 0x7b, 0x7d])));
      c.on('data', () => resolve('answered'));
      c.on('error', (e) => resolve(`error: ${e.message}`));
      c.on('close', () => resolve('closed'));
    });
    expect(noCert).not.toBe('answered');
    // A receiver that trusts another CA refuses this sender.
    const wrongCa = await rx({ ca: await pem('rogue-ca.pem'), cert: await pem('client.pem'), key: await pem('client.key') });
    expect(wrongCa).toMatchObject({ name: 'ReceiveError', message: expect.stringMatching(/cannot connect .*certificate/) });

    stop.abort();
    const summary = await done;
    expect(summary.completed).toBe(1);
    expect(summary.tlsRefused).toBeGreaterThanOrEqual(3);
  });
});
