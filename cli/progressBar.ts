/**
 * The one status line a run keeps at the bottom of a terminal: redrawn in place (carriage
 * return, erase to the end of the line), cut to the terminal's width so it never wraps, and
 * moved out of the way of every other line: whatever else is written (a log line, the summary)
 * goes through `print`, which erases the status line, writes, and redraws it below. `close`
 * erases it for good, so the summary that follows starts on a clean line and nothing redraws
 * after it.
 */
import { formatRate } from './units.js';

/** Where a status line draws: a terminal's write and its width. */
export interface Terminal {
  write(text: string): void;
  /** Columns, read at each draw (a resized terminal). */
  columns(): number;
}

/** Redraws at most this often (a transfer reports hundreds of times a second at full speed). */
const MIN_REDRAW_MS = 100;

export class StatusLine {
  private text = '';
  private shown = false;
  private closed = false;
  private lastDraw = -Infinity;

  constructor(
    private readonly terminal: Terminal,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Characters the line may hold (one less than the terminal's columns: the last would wrap). */
  get width(): number {
    return Math.max(10, this.terminal.columns() - 1);
  }

  /** Sets the line; drawn now unless drawn less than 100 ms ago (`force` draws anyway). */
  update(text: string, force = false): void {
    if (this.closed) return;
    this.text = text;
    const now = this.now();
    if (!force && now - this.lastDraw < MIN_REDRAW_MS) return;
    this.lastDraw = now;
    this.draw();
  }

  /** Writes whole lines above the status line (`text` ends with a newline). */
  print(text: string): void {
    if (this.shown) this.terminal.write('\r\x1b[K');
    this.terminal.write(text);
    this.shown = false;
    if (!this.closed && this.text !== '') this.draw();
  }

  /** Erases the line; nothing draws it again. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.shown) this.terminal.write('\r\x1b[K');
    this.shown = false;
  }

  private draw(): void {
    const width = this.width;
    const text = this.text.length > width ? `${this.text.slice(0, width - 1)}…` : this.text;
    this.terminal.write(`\r${text}\x1b[K`);
    this.shown = true;
  }
}

/**
 * Joins a status line's parts with two spaces, with a bar of `fraction` after the first part
 * (or the text `{bar}` stands for) as wide as `width` leaves room for (up to 30 cells; none
 * when fewer than 10 are left).
 */
export function withBar(parts: readonly string[], fraction: number, width: number): string {
  const text = parts.join('  ');
  const room = Math.min(30, width - (text.length - '{bar}'.length) - 2);
  return room >= 10 ? text.replace('{bar}', bar(fraction, room - 2)) : text.replace('  {bar}', '').replace('{bar}', '');
}

/** `[#####.....]`: `fraction` (0..1) of `width` cells filled. */
export function bar(fraction: number, width = 20): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** Whole percent, never 100 before the end (a run at 99.6 % is not done). */
export function percent(done: number, total: number): string {
  if (total <= 0) return '0%';
  const p = Math.floor((100 * done) / total);
  return `${done >= total ? 100 : Math.min(99, p)}%`;
}

/** Seconds as a short duration: 42s, 3m05s, 1h02m. */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A rate to three significant digits (317 Mbit/s, 1.23 Gbit/s): a running line, not a measurement. */
export function shortRate(bitsPerSecond: number): string {
  return formatRate(bitsPerSecond > 0 ? Number(bitsPerSecond.toPrecision(3)) : 0);
}
