/** joinPipes: two pipes as one ByteStream, as the channel adapters use a socket. */
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { joinPipes } from '../../control/byteStream.js';

const collect = (s: NodeJS.ReadableStream) =>
  new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (b: Buffer) => parts.push(b));
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
  });

describe('joinPipes', () => {
  it('reads from one pipe, writes to the other, ends the writable at end() and closes once both are done', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const s = joinPipes(input, output);
    const read = collect(s);
    const written = collect(output);
    const closed = new Promise((r) => s.once('close', r));
    s.write(Buffer.from('hello '));
    s.write(Buffer.from('there'));
    s.end();
    expect((await written).toString()).toBe('hello there');
    input.end(Buffer.from('and back'));
    expect((await read).toString()).toBe('and back');
    await closed;
    expect(s.destroyed).toBe(true);
  });

  it("round-trips through a child's stdin and stdout, and reports the child's exit as EOF", async () => {
    const child = spawn('/bin/sh', ['-c', 'cat'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const s = joinPipes(child.stdout, child.stdin);
    const read = collect(s);
    const bytes = Buffer.alloc(1 << 20, 7);
    s.end(bytes);
    expect((await read).equals(bytes)).toBe(true);
  });

  it('a reader that is gone (EPIPE) is an error on the stream, not a crash', async () => {
    const child = spawn('/bin/sh', ['-c', 'exit 0'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const s = joinPipes(child.stdout, child.stdin);
    const failed = new Promise<Error | undefined>((resolve) => {
      s.once('error', resolve);
      s.once('close', () => resolve(undefined));
    });
    await new Promise((r) => child.once('exit', r));
    s.write(Buffer.alloc(1 << 20));
    const e = await failed;
    // Either the write failed (EPIPE) or the stream closed at the child's EOF: both end it cleanly.
    if (e) expect((e as NodeJS.ErrnoException).code).toMatch(/EPIPE|ERR_STREAM_DESTROYED|ECONNRESET/);
    await new Promise((r) => (s.destroyed ? r(undefined) : s.once('close', r)));
    expect(s.destroyed).toBe(true);
  });

  it('destroy() destroys both pipes', () => {
    const input = new PassThrough();
    const output = new PassThrough();
    joinPipes(input, output).destroy();
    expect(input.destroyed && output.destroyed).toBe(true);
  });
});
