/**
 * `--json` events: one JSON object per line, each with `"event"`, for programs that drive
 * fountcast. They go to stdout, or to stderr when stdout carries the data (`receive --out -`),
 * or wherever `--events FILE|FD` says (which asks for them without --json). Logs never mix in:
 * they stay on stderr. Values not known yet are null, so every event of a kind has the same
 * fields. docs/usage.md lists them.
 */
import { fstatSync, openSync } from 'node:fs';
import { pino } from 'pino';

export type Role = 'sender' | 'receiver' | 'demo';

/** The run began: the sender listens, the receiver got its manifest, the demo made its file. */
export interface StartEvent {
  event: 'start';
  role: Role;
  /** The file's (or tree's) name. */
  name: string;
  /** Its size; null while a pipe's length follows. */
  bytes: number | null;
  /** Sender: the control address it listens on. */
  address?: string;
  port?: number;
  /** Receiver: the sender it fetches from (host:port) and where the data goes ('-': stdout). */
  sender?: string;
  path?: string;
  /** Demo: how many local receivers. */
  receivers?: number;
}

/** About once a second while data moves. */
export interface ProgressEvent {
  event: 'progress';
  role: Role;
  /** Bytes done: the receiver's bytes written; the sender's summed over its receivers. */
  bytes: number;
  totalBytes: number | null;
  /** Over the last few seconds; null for the first second. */
  rateBitsPerSecond: number | null;
  etaSeconds: number | null;
  /** Sender: bytes on the wire, datagrams sent again or as repair, receivers done/failed/total. */
  bytesSent?: number;
  resends?: number;
  receiversDone?: number;
  receiversFailed?: number;
  receiversTotal?: number;
}

/** Sender: one receiver's session ended. */
export interface ReceiverEvent {
  event: 'receiver';
  receiverId: string;
  address: string;
  outcome: 'completed' | 'failed';
  reason: string;
  seconds: number;
  /** Bytes it holds of what it was sent (all of it when completed). */
  bytes: number;
  goodputBitsPerSecond: number;
  datagramsSent: number;
  resends: number;
  /** Share of the datagrams it saw lost (sequence gaps), 0..1. */
  loss: number;
}

/** The last event of every run that started. */
export interface SummaryEvent {
  event: 'summary';
  role: Role;
  /** The process's exit code. */
  exitCode: number;
  /** Bytes delivered: the receiver's file; the sender's summed over receivers that completed. */
  bytes: number;
  seconds: number;
  /** bytes × 8 / seconds of transfer (the sender: from its first receiver's start to its last's end). */
  goodputBitsPerSecond: number;
  [field: string]: unknown;
}

/** What went wrong: `usage` (exit 2), `transfer` (1), `interrupted` (130 on SIGINT, 143 on SIGTERM). */
export interface ErrorEvent {
  event: 'error';
  kind: 'usage' | 'transfer' | 'interrupted';
  message: string;
  exitCode: number;
  /** The error's class name (transfer), or the signal (interrupted). */
  name?: string;
  signal?: string;
}

export type RunEvent = StartEvent | ProgressEvent | ReceiverEvent | SummaryEvent | ErrorEvent;

export interface EventSink {
  /** Events were asked for (--json or --events). */
  readonly enabled: boolean;
  emit(e: RunEvent): void;
}

export const NO_EVENTS: EventSink = { enabled: false, emit() {} };

/** --events names a file that cannot be opened or a descriptor that is not open: a usage error. */
export class EventsTargetError extends Error {
  override readonly name = 'EventsTargetError';
}

export interface EventFlags {
  json?: boolean;
  /** --events FILE|FD */
  events?: string;
}

/**
 * Where this run's events go, if anywhere. `dataOnStdout`: stdout carries the transfer's data,
 * so events without --events go to stderr. Throws EventsTargetError for a bad --events.
 */
export function openEventSink(o: EventFlags, dataOnStdout = false): EventSink {
  if (!o.json && o.events === undefined) return NO_EVENTS;
  const fd = o.events === undefined ? (dataOnStdout ? 2 : 1) : eventsTarget(o.events, dataOnStdout);
  // Synchronous: an event is out before the process exits or the next line is drawn.
  const out = pino.destination({ fd, sync: true });
  return { enabled: true, emit: (e) => out.write(`${JSON.stringify(e)}\n`) };
}

function eventsTarget(spec: string, dataOnStdout: boolean): number {
  if (/^\d+$/.test(spec)) {
    const fd = Number(spec);
    if (fd === 1 && dataOnStdout) throw new EventsTargetError('--events 1: standard output carries the data (--out -); give another file or descriptor');
    try {
      fstatSync(fd);
    } catch {
      throw new EventsTargetError(`--events ${spec}: file descriptor ${fd} is not open (e.g. run with 3>events.jsonl)`);
    }
    return fd;
  }
  try {
    return openSync(spec, 'w');
  } catch (e) {
    throw new EventsTargetError(`--events ${spec}: cannot open it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Seconds to the millisecond and rates to the bit: events carry measurements, not float noise. */
export const seconds3 = (s: number): number => Math.round(s * 1000) / 1000;
export const wholeOrNull = (n: number | undefined): number | null => (n === undefined ? null : Math.round(n));
