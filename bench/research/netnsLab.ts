/**
 * A virtual LAN for `experiment --real --kernel-loss`: one network namespace per host (the
 * sender and each receiver), each joined by a veth pair to one bridge in a namespace of its own,
 * as the peers race builds it (bench/peers, /work/shared/peers/lib.sh). Loss is the kernel's:
 * an nftables rule at each receiver's prerouting hook drops that share of incoming UDP,
 * independently per receiver, so datagrams are lost below the socket, where a real network
 * loses them, and the product's receive path sees only what is left.
 *
 * The addresses (10.214.0.0/24) exist only inside these namespaces, and the host's own
 * namespace is never changed. Names carry the process id, so two runs do not collide and
 * `destroy` (also safe after a failed `create`) removes exactly what this lab made.
 * Needs root (or a user namespace in which it is root), `ip` and `nft`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

export class NetnsError extends Error {
  override readonly name = 'NetnsError';
}

/** The host interface name inside every namespace. */
export const LAB_INTERFACE = 'fcv0';
const NET = '10.214.0';

function ip(args: string[], input?: string): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr?.trim();
    throw new NetnsError(`ip ${args.join(' ')} failed${stderr ? `: ${stderr}` : ''} (--kernel-loss needs root, iproute2 and nftables)`);
  }
}

export class NetnsLab {
  readonly sender: string;
  readonly senderAddress = `${NET}.1`;
  readonly receivers: string[];
  private readonly bridge: string;
  private made: string[] = [];

  private constructor(
    prefix: string,
    readonly receiverCount: number,
  ) {
    this.bridge = `${prefix}-sw`;
    this.sender = `${prefix}-s`;
    this.receivers = Array.from({ length: receiverCount }, (_, i) => `${prefix}-r${i + 1}`);
  }

  /** Builds the LAN: a bridge, the sender at 10.214.0.1, receiver i at 10.214.0.(10 + i). */
  static create(receivers: number, prefix = `fcx${process.pid}`): NetnsLab {
    if (receivers < 1 || receivers > 200) throw new NetnsError(`a lab holds 1 to 200 receivers, not ${receivers}`);
    const lab = new NetnsLab(prefix, receivers);
    try {
      lab.addNamespace(lab.bridge);
      ip(['-n', lab.bridge, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0', 'stp_state', '0', 'forward_delay', '0']);
      ip(['-n', lab.bridge, 'link', 'set', 'br0', 'up']);
      lab.addHost(lab.sender, lab.senderAddress, 'vs');
      lab.receivers.forEach((ns, i) => lab.addHost(ns, lab.receiverAddress(i), `vr${i + 1}`));
      return lab;
    } catch (e) {
      lab.destroy();
      throw e;
    }
  }

  receiverAddress(i: number): string {
    return `${NET}.${10 + i + 1}`;
  }

  /** Drops `loss` (0 ≤ loss < 1) of the UDP arriving in namespace `ns`, at random, in the kernel. */
  setLoss(ns: string, loss: number): void {
    const threshold = Math.round(loss * 10_000);
    if (threshold <= 0) return;
    const rules = `table ip fcloss {
  chain pre {
    type filter hook prerouting priority -300; policy accept;
    meta l4proto udp numgen random mod 10000 < ${threshold} counter drop
  }
}
`;
    ip(['netns', 'exec', ns, 'nft', '-f', '-'], rules);
  }

  /** Datagrams the loss rule of `ns` has dropped so far (0 without a rule). */
  dropped(ns: string): number {
    let listing: string;
    try {
      listing = execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'ip', 'fcloss'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return 0;
    }
    const m = /counter packets (\d+)/.exec(listing);
    return m ? Number(m[1]) : 0;
  }

  /** Runs `command` inside `ns` (stdout piped for the caller, stderr inherited). */
  spawnIn(ns: string, command: string, args: readonly string[]): ChildProcess {
    return spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  }

  /** Kills what still runs in the lab's namespaces and deletes them. Never throws. */
  destroy(): void {
    for (const ns of [...this.made].reverse()) {
      try {
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
          .split(/\s+/)
          .filter(Boolean);
        for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // gone already
      }
    }
    this.made = [];
  }

  private addNamespace(ns: string): void {
    ip(['netns', 'add', ns]);
    this.made.push(ns);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  }

  private addHost(ns: string, address: string, bridgePort: string): void {
    this.addNamespace(ns);
    ip(['link', 'add', bridgePort, 'netns', this.bridge, 'type', 'veth', 'peer', 'name', LAB_INTERFACE, 'netns', ns]);
    ip(['-n', this.bridge, 'link', 'set', bridgePort, 'master', 'br0', 'up']);
    ip(['-n', ns, 'addr', 'add', `${address}/24`, 'brd', '+', 'dev', LAB_INTERFACE]);
    // The wire carries datagrams: a GSO send is cut into them at the host's device, as a NIC
    // does before transmitting, so each receiver's loss rule draws per datagram, not per burst.
    ip(['-n', ns, 'link', 'set', 'dev', LAB_INTERFACE, 'gso_max_segs', '1']);
    ip(['-n', ns, 'link', 'set', LAB_INTERFACE, 'up']);
    ip(['-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', LAB_INTERFACE]);
  }
}
