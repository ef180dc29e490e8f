/**
 * `fountcast digest FILE...`: a file's identity as `send` announces it (Manifest.fileSha256, of
 * kind `segments`: the digest of its segment digests, control/objectIdentity.ts), printed as
 * sha256sum prints, so an admin can compare a copy on disk with what a receiver reported
 * (summary `digest`, FOUNTCAST_DIGEST) without the sender. `--sha256` prints the plain SHA-256
 * instead. Only regular files: a tree's identity covers its files packed in entry order.
 */
import { open } from 'node:fs/promises';
import type { Command } from 'commander';
import { segmentsDigest } from '../control/objectIdentity.js';
import { DEFAULT_SEGMENT_SIZE, planSegments } from '../encoder/segmentLayout.js';
import { readBackDigests, READ_BACK_CHUNK } from '../receiver/objectDigest.js';
import { logOptions, size } from './options.js';
import type { RunContext } from './runContext.js';

export class DigestInputError extends Error {
  override readonly name = 'DigestInputError';
}

/** The identity of the regular file at `path` cut in `segmentSize` segments, or with `plain` its SHA-256 (hex). */
export async function digestFile(path: string, segmentSize: number, plain: boolean): Promise<string> {
  const fh = await open(path, 'r').catch((e: Error) => {
    throw new DigestInputError(`cannot read ${path}: ${e.message}`);
  });
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new DigestInputError(`${path} is not a regular file (a tree's identity is in the sender's log)`);
    // The same checks as send's: a segment size it would refuse gives no identity.
    planSegments(st.size, { segmentSize });
    const buffer = Buffer.allocUnsafe(Math.min(READ_BACK_CHUNK, Math.max(1, st.size)));
    const read = async (offset: number, length: number) => buffer.subarray(0, (await fh.read(buffer, 0, length, offset)).bytesRead);
    const d = await readBackDigests(read, st.size, segmentSize, { segments: !plain, plain }, buffer.length);
    return plain ? d.sha256! : segmentsDigest(st.size, segmentSize, d.segmentDigests!);
  } finally {
    await fh.close();
  }
}

export function registerDigest(program: Command, ctx: RunContext): void {
  logOptions(
    program
      .command('digest')
      .description("print each file's identity as send announces it and receivers report it (the digest of its segment digests), as sha256sum prints")
      .argument('<files...>', 'regular files')
      .option('--segment-size <bytes>', "the sender's segment size (it is part of the identity)", size, DEFAULT_SEGMENT_SIZE)
      .option('--sha256', 'print the plain SHA-256 instead, as sha256sum does (what send --sha256 announces)'),
  ).action((files: string[], o) =>
    ctx.logged(o, async () => {
      for (const f of files) process.stdout.write(`${await digestFile(f, o.segmentSize as number, Boolean(o.sha256))}  ${f}\n`);
    }),
  );
}
