/** receive --stdio: which flags go with it, and the address it reports from SSH_CONNECTION. */
import { describe, expect, it } from 'vitest';
import { sshServerAddress, stdioProblem } from '../../cli/stdioControl.js';

describe('receive --stdio', () => {
  it('takes the server side of SSH_CONNECTION, IPv4-mapped as IPv4, and nothing that is not an address', () => {
    expect(sshServerAddress('10.0.0.1 52144 10.0.0.17 22')).toBe('10.0.0.17');
    expect(sshServerAddress('2001:db8::1 52144 2001:db8::17 22')).toBe('2001:db8::17');
    expect(sshServerAddress('::ffff:10.0.0.1 52144 ::ffff:10.0.0.17 22')).toBe('10.0.0.17');
    expect(sshServerAddress(undefined)).toBeUndefined();
    expect(sshServerAddress('garbage')).toBeUndefined();
    expect(sshServerAddress('1.2.3.4 1 0.0.0.0 22')).toBeUndefined();
  });

  it('refuses what cannot run over stdin and stdout, and a host:port with it', () => {
    expect(stdioProblem({ stdio: true, out: '/srv/' }, undefined)).toBeUndefined();
    expect(stdioProblem({ stdio: true, waitForSender: 0 }, undefined)).toBeUndefined();
    expect(stdioProblem({ stdio: true }, '10.0.0.1:7070')).toMatch(/no host:port/);
    expect(stdioProblem({ stdio: true, out: '-' }, undefined)).toMatch(/--out - cannot/);
    expect(stdioProblem({ stdio: true, daemon: true }, undefined)).toMatch(/--daemon cannot apply/);
    expect(stdioProblem({ stdio: true, waitForSender: 5000 }, undefined)).toMatch(/--wait-for-sender cannot apply/);
    expect(stdioProblem({ stdio: true, tlsCa: 'ca.pem' }, undefined)).toMatch(/--tls-ca cannot apply/);
    expect(stdioProblem({ stdio: true, address: 'pc7' }, undefined)).toMatch(/--address pc7 is not an IPv4 or IPv6 address/);
    expect(stdioProblem({}, undefined)).toMatch(/missing the sender's control address/);
    expect(stdioProblem({ address: '10.0.0.1' }, '10.0.0.2:7070')).toMatch(/--address applies with --stdio/);
  });
});
