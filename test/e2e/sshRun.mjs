// A real OpenSSH server for ssh.test.ts, and `fountcast send --to ssh://…` through it. Starts
// sshd on 127.0.0.1 (a free port, a generated host key, a temporary authorized_keys) with four
// aliases in a generated ssh_config: h1 and h2 (a plain key), h3 (a key whose authorized_keys
// line forces `receive --stdio … --simulate-loss 0.1`: the forced-command form) and bad (a key
// sshd does not know). A Subsystem line serves --exec "ssh -s h1 fountcast-test". With
// `multicast`, a socket in the group counts the datagrams' tag kinds. Prints one JSON line.
// Run inside a private mount and network namespace where it can (see ssh.test.ts).
import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';

const cfg = JSON.parse(process.argv[2]);
const { dir, sshd, cli, file } = cfg;
const node = process.execPath;
const out = { ok: false };
const children = [];

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function untilLine(child, pattern, what, timeoutMs) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what}: nothing like ${pattern} within ${timeoutMs} ms:\n${seen}`)), timeoutMs);
    child.stderr.on('data', (b) => {
      seen += b;
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}):\n${seen}`)));
  });
}

try {
  const key = (name) => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, name)]);
    return readFileSync(join(dir, `${name}.pub`), 'utf8').trim();
  };
  key('host_key');
  const plain = key('user_key');
  const lossy = key('lossy_key');
  key('wrong_key');
  const receiveCmd = `${node} ${cli} receive --stdio -v`;
  // The forced command: whatever the client asked for (SSH_ORIGINAL_COMMAND), this runs.
  writeFileSync(
    join(dir, 'authorized_keys'),
    `${plain}\ncommand="${receiveCmd} --out ${join(dir, 'forced.bin')} --simulate-loss 0.1 --seed 7",restrict ${lossy}\n`,
    { mode: 0o600 },
  );
  const port = await freePort();
  const user = userInfo().username;
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PidFile none',
      `Subsystem fountcast-test ${receiveCmd} --out ${join(dir, 'subsystem.bin')}`,
      '',
    ].join('\n'),
  );
  const hostBlock = (alias, identity) =>
    [
      `Host ${alias}`,
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      `  User ${user}`,
      `  IdentityFile ${join(dir, identity)}`,
      '  IdentitiesOnly yes',
      '  StrictHostKeyChecking no',
      '  UserKnownHostsFile /dev/null',
      '  LogLevel ERROR',
    ].join('\n');
  writeFileSync(
    join(dir, 'ssh_config'),
    [hostBlock('h1', 'user_key'), hostBlock('h2', 'user_key'), hostBlock('h3', 'lossy_key'), hostBlock('bad', 'wrong_key'), ''].join('\n'),
  );

  const server = spawn(sshd, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(server);
  let sshdLog = '';
  server.stderr.on('data', (b) => (sshdLog += b));
  await untilLine(server, /Server listening on 127\.0\.0\.1/, 'sshd', 15_000);

  const tagKinds = {};
  let sniffer;
  if (cfg.multicast) {
    // A large buffer: a GSO send arrives as a burst, which a busy runner must not overflow.
    sniffer = createSocket({ type: 'udp4', reuseAddr: true, recvBufferSize: 8 << 20 });
    await new Promise((r) => sniffer.bind(cfg.multicast.port, r));
    sniffer.addMembership(cfg.multicast.group, '127.0.0.1');
    // Byte 4 of every datagram is its tag kind (encoder/datagram.ts): 1 CRC-32, 2 HMAC, 3 AES-GCM.
    sniffer.on('message', (m) => (tagKinds[m[4]] = (tagKinds[m[4]] ?? 0) + 1));
  }

  const ssh = `ssh -F ${join(dir, 'ssh_config')}`;
  const args = [
    cli,
    'send',
    '-v',
    file,
    '--to',
    `ssh://h1${join(dir, 'h1.bin')}`,
    '--to',
    `ssh://h2${join(dir, 'h2.bin')}`,
    '--to',
    `ssh://h3${join(dir, 'ignored-by-the-forced-command.bin')}`,
    '--to',
    `ssh://bad${join(dir, 'bad.bin')}`,
    ...(cfg.subsystem ? ['--exec', `${ssh} -T -s h1 fountcast-test`] : []),
    '--ssh-command',
    ssh,
    '--remote-fountcast',
    `${node} ${cli}`,
    '--segment-size',
    '1M',
    ...(cfg.multicast ? ['--multicast', `${cfg.multicast.group}:${cfg.multicast.port}`, '--interface', '127.0.0.1'] : []),
    ...(cfg.extra ?? []),
  ];
  const sender = spawn(node, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SSH_CONNECTION: '' } });
  children.push(sender);
  let stderr = '';
  let stdout = '';
  sender.stderr.on('data', (b) => (stderr += b));
  sender.stdout.on('data', (b) => (stdout += b));
  const code = await new Promise((resolve) => {
    const timer = setTimeout(() => sender.kill('SIGKILL'), cfg.timeoutMs ?? 90_000);
    sender.once('exit', (c, signal) => {
      clearTimeout(timer);
      resolve(c ?? signal);
    });
  });
  sniffer?.close();
  Object.assign(out, { ok: true, code, stderr, stdout, tagKinds, sshdLog });
} catch (e) {
  out.error = e.stack ?? String(e);
} finally {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
