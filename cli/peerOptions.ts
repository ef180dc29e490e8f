/**
 * `send --to` / `--exec`: the named receivers the sender reaches itself, and what their run
 * says at the end: exit 0 when every one has the file, else 1 and one line per failed one.
 */
import { InvalidArgumentError } from 'commander';
import type { Logger } from 'pino';
import { commandPeer } from '../sender/commandPeer.js';
import type { SendSummary } from '../sender/send.js';
import type { ControlPeer } from '../sender/sendConfig.js';
import { sshPeers, SshTargetError } from '../sender/sshTarget.js';

/** The flags that only mean something with --to or --exec. */
const PEER_ONLY = { anonymous: '--anonymous' } as const;
const SSH_ONLY = { sshCommand: ['--ssh-command', 'ssh'], remoteFountcast: ['--remote-fountcast', 'fountcast'] } as const;

/** The receivers --to and --exec name (undefined: none, the sender listens); a usage error for a malformed one. */
export function namedPeers(o: Record<string, unknown>, log: Logger): ControlPeer[] | undefined {
  const to = (o.to as string[] | undefined) ?? [];
  const exec = (o.exec as string[] | undefined) ?? [];
  if (to.length === 0) {
    for (const [key, [flag, fallback]] of Object.entries(SSH_ONLY)) if (o[key] !== fallback) throw new InvalidArgumentError(`${flag} applies with --to`);
  }
  if (to.length === 0 && exec.length === 0) {
    for (const [key, flag] of Object.entries(PEER_ONLY)) if (o[key]) throw new InvalidArgumentError(`${flag} applies with --to or --exec`);
    return undefined;
  }
  let peers: ControlPeer[];
  try {
    // The remote side logs as much as this one: -v here relays each host's steps as well.
    const remoteVerbosity = log.isLevelEnabled('debug') ? 2 : log.isLevelEnabled('info') ? 1 : 0;
    peers = sshPeers(to, { sshCommand: o.sshCommand as string, remoteFountcast: o.remoteFountcast as string, remoteVerbosity }, log);
  } catch (e) {
    throw e instanceof SshTargetError ? new InvalidArgumentError(`--to ${e.message}`) : e;
  }
  // A command is named by its text, its middle cut from a long one: its ends tell commands apart.
  const taken = new Set(peers.map((p) => p.name));
  exec.forEach((cmd, i) => {
    let name = cmd.length > 64 ? `${cmd.slice(0, 24)}...${cmd.slice(-36)}` : cmd;
    if (taken.has(name)) name = `${name} #${i + 1}`;
    taken.add(name);
    peers.push(commandPeer(name, cmd, log));
  });
  return peers;
}

/** Exit code of a run with named receivers: 0 when each completed; else 1, after one line per failed one. */
export function peerOutcome(summary: SendSummary, log: Logger): number {
  const failed = summary.receivers.filter((r) => r.outcome !== 'completed');
  for (const r of failed) log.error({ event: 'receiver-failed', peer: r.peer ?? r.receiverId }, `${r.peer ?? r.receiverId}: ${r.reason}`);
  const named = summary.completed + summary.failed;
  if (failed.length > 0 || summary.completed === 0) {
    log.error({ event: 'incomplete', completed: summary.completed, failed: failed.length }, `${summary.completed} of ${named} receiver(s) have the file`);
    return 1;
  }
  return 0;
}
