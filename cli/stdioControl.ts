/**
 * `receive --stdio`: the control protocol over our own stdin and stdout, as sshd (a forced
 * command, a Subsystem) or any command runner starts us. Standard output then carries protocol
 * frames and nothing else: logs, progress and events go to stderr, and --out - is refused.
 * The data plane stays UDP; the sender learns where to send it from Hello.address, which is
 * --address or else the server side of SSH_CONNECTION (the address the SSH client reached).
 */
import { joinPipes, type ByteStream } from '../control/byteStream.js';
import { unicastAddressProblem } from '../control/wireValues.js';

/** The flags --stdio cannot go with, by commander key, as the user typed them. */
const CLASHES = {
  daemon: '--daemon',
  waitForSender: '--wait-for-sender',
  tlsCa: '--tls-ca',
  tlsCert: '--tls-cert',
  tlsKey: '--tls-key',
  tlsServername: '--tls-servername',
} as const;

/** Why these receive options cannot run with --stdio (or without it), or undefined. */
export function stdioProblem(o: Record<string, unknown>, endpoint: string | undefined): string | undefined {
  if (!o.stdio) {
    if (endpoint === undefined) return "missing the sender's control address host:port (or --stdio)";
    if (o.address !== undefined) return '--address applies with --stdio (over TCP the sender sends to the address it sees)';
    return undefined;
  }
  if (endpoint !== undefined) return `--stdio takes the control protocol on standard input and output: no host:port (${endpoint})`;
  if (o.out === '-') return '--stdio carries the control protocol on standard output: --out - cannot write the data there too';
  const clash = Object.entries(CLASHES).find(([key]) => o[key] !== undefined && o[key] !== false && !(key === 'waitForSender' && o[key] === 0));
  if (clash) return `--stdio runs once over standard input and output: ${clash[1]} cannot apply`;
  if (typeof o.address === 'string') {
    const problem = unicastAddressProblem(o.address);
    if (problem) return `--address ${o.address} ${problem}`;
  }
  return undefined;
}

/** The receive options --stdio adds: the control stream and the address the sender is to aim at. */
export function stdioControl(o: { address?: string }, env: NodeJS.ProcessEnv = process.env): { control: ByteStream; address?: string } {
  const address = o.address ?? sshServerAddress(env.SSH_CONNECTION);
  return { control: joinPipes(process.stdin, process.stdout), ...(address ? { address } : {}) };
}

/**
 * The server side of SSH_CONNECTION ("client-ip client-port server-ip server-port"): the
 * address the SSH client reached this host at, which is where the sender's datagrams can reach
 * it too (through no proxy or jump host). An IPv4-mapped IPv6 address is given as IPv4.
 */
export function sshServerAddress(sshConnection: string | undefined): string | undefined {
  const server = sshConnection
    ?.trim()
    .split(/\s+/)[2]
    ?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  return server !== undefined && unicastAddressProblem(server) === undefined ? server : undefined;
}
