/**
 * Reads one segment's bytes from the file being served (both stream workers use it), into
 * `into` when it has exactly the segment's length (a recycled buffer), else a new one.
 */
import type { FileHandle } from 'node:fs/promises';
import { segmentRange, type SegmentLayout } from '../encoder/segmentLayout.js';

export async function readSegment(file: FileHandle, path: string, layout: SegmentLayout, index: number, into?: Uint8Array): Promise<Uint8Array> {
  const range = segmentRange(layout, index);
  const buf = into?.length === range.length ? into : new Uint8Array(range.length);
  for (let at = 0; at < range.length;) {
    const { bytesRead } = await file.read(buf, at, range.length - at, range.offset + at);
    // The file shrank since it was hashed: the stream cannot go on with what it announced.
    if (bytesRead === 0) throw new Error(`${path} is shorter than announced (segment ${index})`);
    at += bytesRead;
  }
  return buf;
}
