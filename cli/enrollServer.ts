/**
 * `fountcast enroll-server`: hands out a freshly keyed bundle per download to the holder of a
 * one-time token. `GET /bundle/<name>?token=T` (or the token as `Authorization: Bearer T`)
 * builds a bundle for a new receiver `name` (its key goes into --keys, as `bundle` does) and
 * sends it; the token is spent once the build succeeded and before a byte is sent, recorded as
 * its SHA-256 in `<token-file>.used` (synced), so a restart never accepts it again. The token
 * file is read at every request: tokens can be added while it runs. Builds run one at a time (each
 * copies the ~100 MB Node binary); a short queue, then 503. Every handout is logged (name, key
 * fingerprint, client address, token hash prefix — never the token).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { RECEIVER_ID_PATTERN } from '../control/messages.js';
import { buildBundle, BundleError, type BundleResult } from './bundleBuild.js';

export interface EnrollServerInit {
  /** @default '127.0.0.1' */
  readonly host?: string;
  readonly port: number;
  readonly keysDir: string;
  /** One token per line; blank lines and lines starting with # are ignored. */
  readonly tokenFile: string;
  readonly trust: readonly string[];
  readonly sender?: string;
  readonly outDefault?: string;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  readonly onListening?: (address: AddressInfo) => void;
}

/** Tokens shorter than this are refused at start: a token is the only thing guarding a key. */
export const MIN_TOKEN_LENGTH = 16;
/** Requests waiting for a build beyond the one running. */
const MAX_QUEUED_BUILDS = 4;

export class EnrollServerError extends Error {
  override readonly name = 'EnrollServerError';
}

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

async function readLines(path: string, missingOk: boolean): Promise<string[]> {
  try {
    return (await readFile(path, 'utf8'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
  } catch (e) {
    if (missingOk && (e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new EnrollServerError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

export async function runEnrollServer(init: EnrollServerInit): Promise<void> {
  const log = init.logger;
  const usedFile = `${init.tokenFile}.used`;
  const tokens = async () => {
    const list = await readLines(init.tokenFile, false);
    const weak = list.find((t) => t.length < MIN_TOKEN_LENGTH);
    if (weak !== undefined) throw new EnrollServerError(`${init.tokenFile} holds a token shorter than ${MIN_TOKEN_LENGTH} characters`);
    return new Set(list);
  };
  await tokens(); // a bad token file fails at start, not at the first download
  const used = new Set(await readLines(usedFile, true));
  const reserved = new Set<string>();
  let building: Promise<unknown> = Promise.resolve();
  let queued = 0;

  const spend = async (hash: string) => {
    const f = await open(usedFile, 'a', 0o600);
    try {
      await f.appendFile(`${hash}\n`);
      await f.sync();
    } finally {
      await f.close();
    }
    used.add(hash);
  };

  const reply = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) => {
    if (res.headersSent) return void res.destroy();
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(`${text}\n`);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://enroll.invalid');
    } catch {
      return reply(res, 400, 'bad request URL');
    }
    const m = /^\/bundle\/([^/]+)$/.exec(url.pathname);
    if (!m) return reply(res, 404, 'not found: download a bundle with GET /bundle/<name>?token=<one-time token>');
    if (req.method !== 'GET') return reply(res, 405, 'only GET is served', { allow: 'GET' });
    let name: string;
    try {
      name = decodeURIComponent(m[1]!);
    } catch {
      return reply(res, 400, 'bad receiver name');
    }
    if (!RECEIVER_ID_PATTERN.test(name) || name === '.' || name === '..') return reply(res, 400, 'the receiver name must be 1..64 of A-Z a-z 0-9 . _ -');
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = url.searchParams.get('token') ?? bearer;
    if (!token) return reply(res, 403, 'forbidden: a one-time token is required (?token=... or Authorization: Bearer ...)');
    const hash = tokenHash(token);
    if (used.has(hash) || reserved.has(hash)) {
      log.warn({ event: 'token-reused', name, remote, token: hash.slice(0, 12) }, `refused ${remote}: a used token for ${name}`);
      return reply(res, 403, 'forbidden: this token has already been used');
    }
    if (!(await tokens()).has(token)) {
      log.warn({ event: 'token-unknown', name, remote }, `refused ${remote}: an unknown token for ${name}`);
      return reply(res, 403, 'forbidden: this token is not valid');
    }
    if (queued >= MAX_QUEUED_BUILDS) return reply(res, 503, 'busy building bundles: try again shortly', { 'retry-after': '10' });
    reserved.add(hash);
    queued++;
    const work = await mkdtemp(join(tmpdir(), 'fountcast-enroll-'));
    const build = building.then(() =>
      buildBundle({ name, keysDir: init.keysDir, trust: init.trust, sender: init.sender, outDefault: init.outDefault, out: join(work, `fountcast-${name}`) }),
    );
    building = build.catch(() => undefined);
    let result: BundleResult;
    try {
      result = await build;
      await spend(hash);
    } catch (e) {
      reserved.delete(hash);
      await rm(work, { recursive: true, force: true });
      if (e instanceof BundleError && /exists/.test(e.message)) return reply(res, 409, `conflict: ${name} is already enrolled (revoke it on the sender first)`);
      log.error({ event: 'build-failed', name, remote, err: (e as Error).message }, `building a bundle for ${name} failed: ${(e as Error).message}`);
      return reply(res, 500, 'building the bundle failed (see the server log); the token was not spent');
    } finally {
      queued--;
    }
    log.info(
      { event: 'handout', name, fingerprint: result.fingerprint, remote, token: hash.slice(0, 12), bytes: result.bytes },
      `handed out ${name} (key ${result.fingerprint}) to ${remote}`,
    );
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(result.bytes),
      'content-disposition': `attachment; filename="fountcast-${name}"`,
      'cache-control': 'no-store',
    });
    const body = createReadStream(result.path);
    const cleanup = () => void rm(work, { recursive: true, force: true });
    body.on('error', () => res.destroy());
    res.on('close', cleanup);
    body.pipe(res);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => {
      log.error({ event: 'request-failed', err: e.message }, `request failed: ${e.message}`);
      reply(res, 500, 'internal error');
    });
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new EnrollServerError(`cannot listen on ${init.host ?? '127.0.0.1'}:${init.port}: ${e.message}`)));
    server.listen(init.port, init.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  log.info({ event: 'listening', ...address }, `enroll server on http://${address.address}:${address.port}/bundle/<name>?token=...`);
  init.onListening?.(address);
  await new Promise<void>((resolve) => {
    if (init.signal?.aborted) return resolve();
    init.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await building;
}
