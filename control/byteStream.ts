/**
 * The one seam under the control protocol: it runs over any duplex byte stream. A TCP or TLS
 * socket is one already; two pipes (a child process's stdout and stdin, or our own stdin and
 * stdout when sshd started us) become one with joinPipes. The channel adapters (streamChannel.ts,
 * receiver/receive.ts) see only this, so nothing above them knows which transport it is.
 *
 * What a transport knows and a pipe does not (the peer's address) travels beside the stream,
 * not in it: see server.ts (the sender's peers) and Hello.address.
 */
import { Duplex, type Readable, type Writable } from 'node:stream';

/**
 * A duplex byte stream: data, end, error and close events in; write, end (our side is done) and
 * destroy (all of it is gone) out; `writableLength` for "has everything been handed on".
 */
export type ByteStream = Duplex;

/**
 * Joins a readable and a writable into one ByteStream. Ending it ends the writable (the peer
 * reads EOF); it closes once both directions are done; destroying it destroys both, except
 * our own standard output, which stays open until exit.
 */
export function joinPipes(readable: Readable, writable: Writable): ByteStream {
  return new JoinedPipes(readable, writable);
}

class JoinedPipes extends Duplex {
  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
  ) {
    super({ allowHalfOpen: true });
    input.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) input.pause();
    });
    input.once('end', () => this.push(null));
    input.on('error', (e) => this.destroy(e));
    // A pipe whose reader is gone (EPIPE): the peer vanished, as with a reset socket. Kept for
    // later errors too: one unheard would end the process.
    output.on('error', (e) => this.destroy(e));
  }

  override _read(): void {
    this.input.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (e?: Error | null) => void): void {
    // Done once the pipe has taken it: writableLength counts what has not left the process yet.
    this.output.write(chunk, (e) => done(e));
  }

  override _final(done: (e?: Error | null) => void): void {
    // Our standard output stays open until exit: the peer reads EOF when this process ends.
    if (isStdio(this.output)) return done();
    this.output.end(() => done());
  }

  override _destroy(error: Error | null, done: (e: Error | null) => void): void {
    this.input.destroy();
    if (!isStdio(this.output)) this.output.destroy();
    done(error);
  }
}

function isStdio(s: Writable): boolean {
  return s === process.stdout || s === process.stderr;
}
