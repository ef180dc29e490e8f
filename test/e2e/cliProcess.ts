/**
 * `fountcast` as a child process, for the tests of what a run prints: its stdout and stderr
 * collected, and (with `events: true`) its --json events read from file descriptor 3
 * (`--events 3`), so a test can wait for `start` without depending on any human line. Also a
 * pseudo-terminal run through util-linux's `script` (node has no pty of its own) and a tiny
 * terminal that replays its output into the lines a person would see.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export type Event = Record<string, unknown> & { event: string };

export interface CliProcess {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Events read so far from fd 3 (with `events: true`). */
  readonly events: Event[];
  /** Resolves with the first event named `name` (already read or still to come). */
  next(name: string): Promise<Event>;
  readonly exited: Promise<number | null>;
}

export function spawnCli(args: string[], options: { events?: boolean; cwd?: string } = {}): CliProcess {
  const child = spawn(process.execPath, [cli, ...args, ...(options.events ? ['--events', '3'] : [])], {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe', ...(options.events ? (['pipe'] as const) : [])],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const events: Event[] = [];
  const waiting: { name: string; resolve: (e: Event) => void }[] = [];
  if (options.events) {
    let partial = '';
    (child.stdio[3] as Readable).on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const e = JSON.parse(line) as Event;
        events.push(e);
        for (const w of waiting.filter((w) => w.name === e.event)) w.resolve(e);
      }
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    events,
    next: (name) =>
      new Promise((resolve, reject) => {
        const seen = events.find((e) => e.event === name);
        if (seen) return resolve(seen);
        waiting.push({ name, resolve });
        void exited.then((code) => reject(new Error(`fountcast exited (${code}) before a ${name} event; stderr:\n${err}`)));
      }),
    exited,
  };
}

/** Non-empty lines. */
export const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');

/**
 * Runs `fountcast ARGS` on a pseudo-terminal of `columns` columns through `script` (util-linux,
 * essential on Debian); resolves with everything the terminal received and the exit code.
 */
export function onPty(args: string[], columns = 100): { output: Promise<string>; exited: Promise<number | null>; child: ChildProcess } {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = `stty cols ${columns}; exec ${[process.execPath, cli, ...args].map(quote).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let raw = '';
  child.stdout!.on('data', (d: Buffer) => (raw += d.toString()));
  child.once('error', (e) => {
    throw new Error(`cannot run script (util-linux) for a pseudo-terminal: ${e.message}`);
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { output: exited.then(() => raw), exited, child };
}

/**
 * The lines a terminal shows for `raw`: carriage return goes to column 0, ESC[K erases to the
 * end of the line, newline moves down; other escape sequences (colours) are dropped.
 */
export function screen(raw: string): string[] {
  const shown: string[] = [];
  let line: string[] = [];
  let col = 0;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '\x1b') {
      const m = /^\x1b\[[0-9;?]*([A-Za-z])/.exec(raw.slice(i));
      if (m) {
        if (m[1] === 'K') line.length = col;
        i += m[0].length - 1;
        continue;
      }
    }
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      shown.push(line.join(''));
      line = [];
      col = 0;
    } else line[col++] = ch;
  }
  if (line.length > 0) shown.push(line.join(''));
  return shown;
}
