/**
 * Option parsers and helpers shared by the commands: units become numbers with clear errors,
 * endpoints are checked, and TLS files are read as a set of three.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { formatBytes, formatDuration, parseDuration, parseInteger, parseRate, parseSize, UnitError } from './units.js';

/** Wraps a unit parser so commander reports its error as an invalid argument. */
export function arg<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

export const size = arg(parseSize);
export const rate = arg(parseRate);
/** `auto`: the adaptive pace under send()'s default ceiling, as when --rate is left out. */
export const rateOrAuto = arg((t): number | 'auto' => (t.trim().toLowerCase() === 'auto' ? 'auto' : parseRate(t)));
export const duration = arg(parseDuration);
export const int = (what: string, min: number, max: number) => arg((t) => parseInteger(t, what, min, max));
export const probability = arg((t) => {
  const p = Number(t);
  if (!/^\s*[0-9.]+\s*$/.test(t) || !(p >= 0 && p < 1)) throw new UnitError(`loss must be in [0, 1), not "${t}"`);
  return p;
});

/**
 * `HOST:PORT`, `[IPv6]:PORT` (a zone allowed: `[fe80::1%eth0]:7070`), or an IPv6 address
 * without brackets whose last `:N` is the port (`ff02::114:7071` is ff02::114, port 7071).
 */
export function parseEndpoint(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)|([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[^\s\]]+)?)):(\d+)$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`expected HOST:PORT or [IPv6]:PORT, not "${text}"`);
  const host = (m[1] ?? m[2] ?? m[3])!;
  if ((m[1] !== undefined || m[3] !== undefined) && isIP(host) !== 6)
    throw new InvalidArgumentError(`"${host}" in "${text}" is not an IPv6 address (write IPv6 as [ADDRESS]:PORT)`);
  const port = Number(m[4]);
  if (!(port >= 1 && port <= 65535)) throw new InvalidArgumentError(`port must be 1..65535, not ${m[4]}`);
  return { host, port };
}

/** The logging options every command takes; every default in its help in human units. */
export function logOptions(cmd: Command): Command {
  cmd
    .addOption(new Option('-v, --verbose', 'more detail: each step as a log line (-vv: debug lines with their fields)').argParser(countVerbose))
    .addOption(new Option('--json', 'events as JSON lines on stdout (start, progress, receiver, summary, error); logs as JSON lines on stderr'))
    .addOption(new Option('--events <file|fd>', 'write the JSON events to this file or open descriptor (e.g. 3) instead (also without --json)'))
    .addOption(
      new Option('--log-level <level>', 'log level (default: warn for transfers, info with -v, debug with -vv)').choices(['debug', 'info', 'warn', 'error']),
    );
  return humanDefaults(cmd);
}

/** -v, -vv: each one adds a level of detail. */
const countVerbose = (_value: string, previous: number | undefined): number => (previous ?? 0) + 1;

/**
 * Shows numeric defaults as people write them (`10s`, `4 MiB`), not as the milliseconds or
 * bytes the option holds; the option's value placeholder says which unit it takes.
 */
export function humanDefaults(cmd: Command): Command {
  for (const opt of cmd.options) {
    const v: unknown = opt.defaultValue;
    if (typeof v !== 'number' || opt.defaultValueDescription !== undefined) continue;
    if (opt.flags.includes('<duration>')) opt.defaultValueDescription = formatDuration(v);
    else if (opt.flags.includes('<bytes>')) opt.defaultValueDescription = formatBytes(v).replace('.0 ', ' ');
  }
  return cmd;
}

/** The three TLS files, read; none given: undefined; some but not all: an error naming the missing. */
export async function tlsFiles(
  o: Record<string, unknown>,
  keys: ['tlsCert', 'tlsKey', 'tlsCa'] | ['tlsCa', 'tlsCert', 'tlsKey'],
): Promise<{ cert: Buffer; key: Buffer; ca: Buffer } | undefined> {
  const given = keys.filter((k) => o[k] !== undefined);
  if (given.length === 0) return undefined;
  const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  if (given.length < 3)
    throw new InvalidArgumentError(
      `mutual TLS needs ${keys.map(flag).join(', ')}; missing ${keys
        .filter((k) => o[k] === undefined)
        .map(flag)
        .join(', ')}`,
    );
  const read = async (k: string) => {
    try {
      return await readFile(String(o[k]));
    } catch (e) {
      throw new InvalidArgumentError(`cannot read ${flag(k)} ${String(o[k])}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  return { cert: await read('tlsCert'), key: await read('tlsKey'), ca: await read('tlsCa') };
}
