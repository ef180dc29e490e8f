/**
 * `send --to ssh://[user@]host[:port]/path`: the SSH URI of the secsh URI draft, with brace
 * lists expanded here (`lab-pc-{01..40}`, `{a,b}`, as bash would, so a quoted argument names a
 * fleet), and the command each target runs: `ssh -T [-p port] [user@]host` and, on the remote
 * side, `fountcast receive --stdio --out PATH`. Both lines go through a shell (ours, then the
 * remote login shell), so every piece that comes from the URI is quoted for it.
 */
import { commandPeer } from './commandPeer.js';
import type { ControlPeer } from './sendConfig.js';
import type { Logger } from 'pino';

export class SshTargetError extends Error {
  override readonly name = 'SshTargetError';
}

/** Most targets one --to may expand to (a typo such as {1..100000} is refused, not run). */
export const MAX_EXPANSION = 10_000;

export interface SshTarget {
  /** The URI as expanded. */
  readonly uri: string;
  readonly user?: string;
  /** A name, an IPv4 address, or an IPv6 address (without brackets). */
  readonly host: string;
  readonly port?: number;
  /** Where the remote receiver writes (its --out): the URI's path; `.` (the login directory) when it has none. */
  readonly out: string;
}

export interface SshCommandOptions {
  /** Replaces `ssh` (shell text, e.g. `ssh -i ~/.ssh/fleet -o ConnectTimeout=5`). @default 'ssh' */
  sshCommand?: string;
  /** Replaces `fountcast` on the remote side (remote shell text). @default 'fountcast' */
  remoteFountcast?: string;
  /**
   * The remote receiver's verbosity (1: `-v`, 2: `-vv`): a sender run with -v relays each
   * host's steps too, not only its warnings and errors. @default 0
   */
  remoteVerbosity?: 0 | 1 | 2;
}

/** Every target --to values name, in order, brace lists expanded; a malformed one is an SshTargetError. */
export function parseSshTargets(values: readonly string[]): SshTarget[] {
  const targets = values.flatMap((v) => expandBraces(v).map(parseSshTarget));
  if (targets.length > MAX_EXPANSION) throw new SshTargetError(`--to names ${targets.length} targets, more than ${MAX_EXPANSION}`);
  return targets;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

export function parseSshTarget(uri: string): SshTarget {
  const bad = (why: string) => new SshTargetError(`${JSON.stringify(uri)} ${why} (expected ssh://[user@]host[:port]/path)`);
  const m = /^ssh:\/\/(?:([^@/]*)@)?(\[[^\]/]*\]|[^:/]*)(?::(\d*))?(\/.*)?$/.exec(uri);
  if (!m) throw bad('is not an ssh:// URI');
  const [, user, rawHost, rawPort, rawPath] = m;
  // A user or host that starts with '-' would be read by ssh as an option: refused, never passed on.
  if (user !== undefined && !USER.test(user)) throw bad(`has a user name ssh would not take as one: ${JSON.stringify(user)}`);
  const host = rawHost!.startsWith('[') ? rawHost!.slice(1, -1) : rawHost!;
  if (rawHost!.startsWith('[') ? !/^[0-9A-Fa-f:.]+$/.test(host) || !host.includes(':') : !NAME.test(host)) throw bad('has no valid host');
  let port: number | undefined;
  if (rawPort !== undefined) {
    port = Number(rawPort);
    if (rawPort === '' || !Number.isInteger(port) || port < 1 || port > 65535) throw bad('has a port outside 1..65535');
  }
  let out = '.';
  if (rawPath !== undefined && rawPath !== '') {
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      throw bad('has a malformed %-escape in its path');
    }
    if (path.includes('\0')) throw bad('has a NUL in its path');
    // As in the sftp URI draft: /~/dir is dir under the login directory.
    out = path === '/~' || path === '/~/' ? '.' : path.startsWith('/~/') ? path.slice(3) : path;
  }
  return { uri, ...(user !== undefined ? { user } : {}), host, ...(port !== undefined ? { port } : {}), out };
}

/** Quotes `s` for a POSIX shell: one word, nothing expanded. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The local shell command that reaches `t`: `ssh -T -o BatchMode=yes [-p port] [user@]host
 * 'fountcast receive --stdio --out PATH'`. BatchMode: a fleet push cannot answer password
 * prompts; options in --ssh-command come first and so take precedence (ssh keeps the first).
 */
export function sshCommandLine(t: SshTarget, o: SshCommandOptions = {}): string {
  const verbose = o.remoteVerbosity ? ` -${'v'.repeat(o.remoteVerbosity)}` : '';
  const remote = `${o.remoteFountcast ?? 'fountcast'} receive --stdio${verbose} --out ${shellQuote(t.out)}`;
  const destination = t.user !== undefined ? `${t.user}@${t.host}` : t.host;
  const port = t.port !== undefined ? ` -p ${t.port}` : '';
  return `${o.sshCommand ?? 'ssh'} -T -o BatchMode=yes${port} ${shellQuote(destination)} ${shellQuote(remote)}`;
}

/**
 * Names for the targets' logs and failure lines: `[user@]host[:port]`, and the path too where
 * two targets would otherwise share a name.
 */
export function targetNames(targets: readonly SshTarget[]): string[] {
  const short = targets.map((t) => {
    const host = t.host.includes(':') ? `[${t.host}]` : t.host;
    return `${t.user !== undefined ? `${t.user}@` : ''}${host}${t.port !== undefined ? `:${t.port}` : ''}`;
  });
  const count = new Map<string, number>();
  for (const n of short) count.set(n, (count.get(n) ?? 0) + 1);
  return short.map((n, i) => (count.get(n)! > 1 ? `${n}:${targets[i]!.out}` : n));
}

/** The targets as named receivers of send() (SendOptions.peers). */
export function sshPeers(values: readonly string[], o: SshCommandOptions, logger: Logger): ControlPeer[] {
  const targets = parseSshTargets(values);
  const names = targetNames(targets);
  return targets.map((t, i) => commandPeer(names[i]!, sshCommandLine(t, o), logger));
}

/**
 * Brace expansion as bash does it: `{a,b,c}` alternatives and `{1..10}`, `{01..40}` (padded to
 * the wider end), `{10..1..3}`, `{a..e}` ranges, several groups (their product) and nested lists.
 * A brace with neither a comma nor a range inside stays as it is.
 */
export function expandBraces(text: string): string[] {
  for (let open = text.indexOf('{'); open !== -1; open = text.indexOf('{', open + 1)) {
    const close = matchingBrace(text, open);
    if (close === -1) return [text];
    const body = text.slice(open + 1, close);
    const items = alternatives(body) ?? range(body);
    if (items === undefined) continue;
    const prefix = text.slice(0, open);
    const rest = expandBraces(text.slice(close + 1));
    const out: string[] = [];
    for (const item of items.flatMap(expandBraces)) {
      for (const r of rest) {
        out.push(prefix + item + r);
        if (out.length > MAX_EXPANSION) throw new SshTargetError(`${JSON.stringify(text)} expands to more than ${MAX_EXPANSION} names`);
      }
    }
    return out;
  }
  return [text];
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** The top-level comma-separated items of a brace body, or undefined when it has no top-level comma. */
function alternatives(body: string): string[] | undefined {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '{') depth++;
    else if (body[i] === '}') depth--;
    else if (body[i] === ',' && depth === 0) {
      items.push(body.slice(start, i));
      start = i + 1;
    }
  }
  if (items.length === 0) return undefined;
  items.push(body.slice(start));
  return items;
}

function range(body: string): string[] | undefined {
  const numeric = /^(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?$/.exec(body);
  const letters = /^([A-Za-z])\.\.([A-Za-z])(?:\.\.(-?\d+))?$/.exec(body);
  const m = numeric ?? letters;
  if (!m) return undefined;
  const from = numeric ? Number(m[1]) : m[1]!.charCodeAt(0);
  const to = numeric ? Number(m[2]) : m[2]!.charCodeAt(0);
  const step = Math.abs(Number(m[3] ?? 1)) || 1;
  const count = Math.floor(Math.abs(to - from) / step) + 1;
  if (count > MAX_EXPANSION) throw new SshTargetError(`{${body}} expands to more than ${MAX_EXPANSION} names`);
  // Zero-padded when either end is written with a leading zero: {01..40} gives 01, 02, ... 40.
  const padded = numeric && [m[1]!, m[2]!].some((e) => /^-?0\d/.test(e));
  const width = padded ? Math.max(m[1]!.length, m[2]!.length) : 0;
  const out: string[] = [];
  for (let i = 0, v = from; i < count; i++, v += from <= to ? step : -step) {
    if (!numeric) out.push(String.fromCharCode(v));
    else out.push(v < 0 ? `-${String(-v).padStart(width - 1, '0')}` : String(v).padStart(width, '0'));
  }
  return out;
}
