/**
 * An object re-served by a host that received it (a relay): its layout, digests, tree entries and
 * the publisher's signature are taken from the manifest as received, unchanged, and its bytes
 * from what the receiver wrote. No private key is involved: the publication was signed once by
 * the publisher, and every receiver downstream checks it and each segment against its digests,
 * so a relay that alters a byte (or the manifest) is caught by whoever gets it next.
 *
 * Nothing is hashed here: the digests served are the publisher's, whatever the files now hold;
 * a relay that wants to notice a local change before serving reads the files' size and mtime
 * (ObjectReader does, at each open) and, for content, relies on the downstream check.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '../control/messages.js';
import { digestKindOf } from '../control/objectIdentity.js';
import { planSegments, type SegmentLayout } from '../encoder/segmentLayout.js';
import { FileDigests } from './fileDigests.js';
import type { ObjectPart } from './objectReader.js';
import type { IncomingObject, PreparedFile } from './preparedObject.js';
import { SourceFileError } from './sourceFileError.js';

/** What a relay re-serves: the manifest it received and where the receiver put the object. */
export interface RelaySource {
  /** The manifest as received (its publication, digests and entries are served unchanged). */
  readonly manifest: Manifest;
  /**
   * The received file; for a tree, the directory its entries were written into (--out), or with
   * `packed` the one file holding its object (ReceiveOptions.packedTree: what a relay keeps).
   */
  readonly path: string;
  readonly packed?: boolean;
  /**
   * The object is still arriving (cut-through): `path` is the file being written, and only its
   * stored segments are served, each as soon as it is. A single file, or a tree kept packed.
   */
  readonly incoming?: IncomingObject;
}

/** The received object as a PreparedFile whose digests are the manifest's (every one known). */
export async function openRelayedObject(source: RelaySource): Promise<PreparedFile> {
  const m = source.manifest;
  if (m.segmentDigests === undefined || m.fileSha256 === undefined || m.lengthFollows)
    throw new SourceFileError(`the manifest of ${m.fileName} carries no digests: only a complete manifest can be relayed`);
  const layout = planSegments(m.fileSize, { segmentSize: m.segmentSize, symbolSize: m.symbolSize });
  const sha = Buffer.from(m.segmentDigests, 'base64');
  if (sha.length !== 32 * layout.segmentCount)
    throw new SourceFileError(`the manifest of ${m.fileName} has ${sha.length / 32} digests for ${layout.segmentCount} segments`);
  if (source.incoming !== undefined) {
    if (m.entries !== undefined && source.packed !== true) throw new SourceFileError(`${m.fileName} is a tree: it is served while it arrives only kept packed`);
    return relayedFile(source, layout, sha, [{ path: source.incoming.path, size: m.fileSize, mtimeMs: 0 }]);
  }
  const files =
    m.entries === undefined || source.packed === true
      ? [{ path: source.path, size: m.fileSize }]
      : m.entries.filter((e) => e.kind === 'file').map((e) => ({ path: join(source.path, e.path), size: e.size }));
  const parts: ObjectPart[] = [];
  for (const f of files) {
    const st = await stat(f.path).catch((e: Error) => {
      throw new SourceFileError(`cannot relay ${m.fileName}: ${e.message}`);
    });
    if (st.size !== f.size) throw new SourceFileError(`cannot relay ${m.fileName}: ${f.path} has ${st.size} bytes, the manifest says ${f.size}`);
    parts.push({ path: f.path, size: f.size, mtimeMs: st.mtimeMs });
  }
  return relayedFile(source, layout, sha, parts);
}

function relayedFile(source: RelaySource, layout: SegmentLayout, sha: Buffer, parts: ObjectPart[]): PreparedFile {
  const m = source.manifest;
  const digests = new FileDigests(layout.segmentCount, digestKindOf(m));
  digests.addSegments(0, sha);
  digests.setFile(m.fileSha256!);
  return {
    path: source.path,
    fileName: m.fileName,
    layout,
    digests,
    mtimeMs: parts.reduce((newest, p) => Math.max(newest, p.mtimeMs), 0),
    parts,
    ...(m.entries !== undefined ? { entries: m.entries } : {}),
    ...(source.incoming !== undefined ? { incoming: source.incoming } : {}),
  };
}
