/**
 * What send() reports while it serves (SendOptions.onProgress): per receiver, how much of its
 * object it holds, estimated from its last Progress report; and over the whole run, what the
 * streams sent and how many receivers are done. Pure: server.ts feeds it reports and stream
 * counts, the callback's caller reads snapshots.
 */
import type { Progress } from '../control/messages.js';
import type { SegmentLayout } from '../encoder/segmentLayout.js';
import type { StreamStats } from './streamCore.js';

/** What send() serves, as onListening reports it. */
export interface ServedObject {
  /** The name receivers give it (a tree's name). */
  readonly name: string;
  /** Its size; undefined for a pipe whose length follows. */
  readonly bytes: number | undefined;
  /** A tree: how many entries it has. */
  readonly entries?: number;
}

/** One receiver being served, as of its last Progress report. */
export interface ReceiverProgress {
  /** Its Hello's receiverId. */
  readonly receiverId: string;
  readonly address: string;
  /**
   * Bytes of its object it holds: complete segments whole, open ones by the symbols held (so the
   * count moves between segment completions; a segment that fails its digest can take it back).
   */
  readonly bytesDone: number;
  /** Its object's size (the file or tree; with --sync the files it lacks); undefined while a pipe's length follows. */
  readonly bytesTotal: number | undefined;
}

/** A snapshot of a send() in progress. */
export interface SendProgress {
  /** Bytes every stream has put on the wire since send() began (datagram headers and tags included). */
  readonly bytesSent: number;
  readonly datagramsSent: number;
  /**
   * Datagrams beyond each source symbol's first sending: listed losses sent again plus repair
   * symbols (udp-sender's re-xmits). A shared stream's count once, whoever they helped.
   */
  readonly resends: number;
  /** Summed over every receiver served so far (those that ended too): bytes they hold. */
  readonly bytesDone: number;
  /** Summed likewise: the size of what each was sent (a pipe's, while its length follows, counts what was read). */
  readonly bytesTotal: number;
  /** Receivers that verified and stored everything. */
  readonly receiversDone: number;
  /** Receivers whose session ended otherwise after their Hello (refused, gone, aborted). */
  readonly receiversFailed: number;
  /** Receivers being served now (they asked for data), done or failed. */
  readonly receiversTotal: number;
  /** The receivers being served now. */
  readonly receivers: readonly ReceiverProgress[];
}

/** How often send() calls onProgress while it serves (the stream workers report at this pace). */
export const SEND_PROGRESS_INTERVAL_MS = 250;

/**
 * Bytes of `layout`'s object a receiver holds according to `p`: every segment below
 * completeBelow and those listed complete above it, plus the symbols held of open ones.
 */
export function bytesHeld(layout: SegmentLayout, p: Progress): number {
  const length = (i: number) => Math.max(0, Math.min(layout.segmentSize, layout.fileSize - i * layout.segmentSize));
  const below = Math.max(0, Math.min(p.completeBelow, layout.segmentCount));
  // Every segment below is full but perhaps the last: no loop over a terabyte's segments.
  let bytes = Math.min(below * layout.segmentSize, layout.fileSize);
  for (const i of p.completeAbove) if (i >= below && i < layout.segmentCount) bytes += length(i);
  for (const s of p.open) if (s.index < layout.segmentCount) bytes += Math.min(length(s.index), s.received * layout.symbolSize);
  return bytes;
}

/** The send-wide counts a snapshot starts from: the stream totals of every stream, ended ones included. */
export function streamTotals(stats: readonly (Partial<StreamStats> | undefined)[]): Pick<SendProgress, 'bytesSent' | 'datagramsSent' | 'resends'> {
  let bytesSent = 0;
  let datagramsSent = 0;
  let resends = 0;
  for (const s of stats) {
    if (!s) continue;
    bytesSent += s.bytesSent ?? 0;
    datagramsSent += s.datagramsSent ?? 0;
    resends += (s.sourceRetransmits ?? 0) + (s.repairSymbolsSent ?? 0);
  }
  return { bytesSent, datagramsSent, resends };
}
