/**
 * Key files: publisher key pairs as PEM (`keygen`: the private key 0600, never overwritten unless
 * `force`) and enrolled receivers' secrets (`enroll`), and their loaders. The transfer functions
 * take KeyObjects and secrets, not paths; these helpers are exported for library users and used
 * by the CLI alike.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { RECEIVER_SECRET_BYTES } from './auth.js';
import { RECEIVER_ID_PATTERN } from './messages.js';
import { generatePublisherKeys, KeyFileError, parsePrivateKey, parsePublicKey, publisherId, rawPublicKey } from './publication.js';

async function read(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new KeyFileError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export async function loadPrivateKeyFile(path: string): Promise<KeyObject> {
  return parsePrivateKey(await read(path, 'publisher key'), `publisher key ${path}`);
}

export async function loadPublicKeyFile(path: string): Promise<KeyObject> {
  return parsePublicKey(await read(path, 'trusted key'), `trusted key ${path}`);
}

/** Writes `<prefix>.key` and `<prefix>.pub`; returns their paths and the publisher id. */
export async function keygen(prefix: string, force = false): Promise<{ privatePath: string; publicPath: string; publisherId: string }> {
  const { privatePem, publicPem } = generatePublisherKeys();
  const privatePath = `${prefix}.key`;
  const publicPath = `${prefix}.pub`;
  const flag = force ? 'w' : 'wx';
  try {
    await writeFile(privatePath, privatePem, { mode: 0o600, flag });
    await writeFile(publicPath, publicPem, { mode: 0o644, flag });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new KeyFileError(
      code === 'EEXIST'
        ? `${(e as NodeJS.ErrnoException).path} exists; keygen never overwrites a key (use --force)`
        : `cannot write the key pair: ${(e as Error).message}`,
    );
  }
  return { privatePath, publicPath, publisherId: publisherId(rawPublicKey(parsePublicKey(publicPem))) };
}

const RECEIVER_KEY_HEADER = 'fountcast-receiver-key-v1';

/** Receiver names as the control protocol allows them, and never "." or "..". */
const enrollable = (name: string) => RECEIVER_ID_PATTERN.test(name) && name !== '.' && name !== '..';

function checkReceiverName(name: string): void {
  if (!enrollable(name)) throw new KeyFileError(`receiver name ${JSON.stringify(name)} must be 1..64 of [A-Za-z0-9._-]`);
}

/**
 * `fountcast enroll`: a fresh 32-byte secret for `name`, written once as `<dir>/<name>.key`
 * (0600, never overwritten). The sender reads the directory as its allow-list; the same file,
 * copied to the receiving machine, is that receiver's --key. Deleting it revokes.
 */
export async function enroll(name: string, dir: string): Promise<string> {
  return writeReceiverKey(name, dir, randomBytes(RECEIVER_SECRET_BYTES));
}

/** A fresh receiver secret (what `enroll` writes; `bundle` makes one before it builds). */
export function newReceiverSecret(): Uint8Array {
  return randomBytes(RECEIVER_SECRET_BYTES);
}

/**
 * Writes `<dir>/<name>.key` holding `secret` (0600). Never overwrites unless `replace` (`bundle
 * --rotate`), which swaps the file atomically: a connection reads either the old key or the new.
 */
export async function writeReceiverKey(name: string, dir: string, secret: Uint8Array, replace = false): Promise<string> {
  checkReceiverName(name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${name}.key`);
  const text = `${RECEIVER_KEY_HEADER} ${name} ${Buffer.from(secret).toString('base64')}\n`;
  try {
    if (replace) {
      const staged = `${path}.${process.pid}.tmp`;
      await writeFile(staged, text, { mode: 0o600, flag: 'w' });
      await rename(staged, path);
    } else await writeFile(path, text, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw new KeyFileError(`${path} exists: ${name} is already enrolled (delete the file to revoke, then enroll again)`);
    throw new KeyFileError(`cannot write ${path}: ${(e as Error).message}`);
  }
  return path;
}

/**
 * A receiver key's fingerprint: 16 hex digits of SHA-256 over a label and the secret. Shown by a
 * bundle's --version and logged by `bundle`, so an admin can match a machine's copy to the
 * sender's file without either revealing the secret.
 */
export function receiverKeyFingerprint(secret: Uint8Array): string {
  return createHash('sha256').update('fountcast receiver key fingerprint\0').update(secret).digest('hex').slice(0, 16);
}

export function parseReceiverKey(text: string, what: string): { name: string; secret: Uint8Array } {
  const m = /^fountcast-receiver-key-v1 ([A-Za-z0-9._-]{1,64}) ([A-Za-z0-9+/]{43}=)\s*$/.exec(text);
  const secret = m ? Buffer.from(m[2]!, 'base64') : undefined;
  if (!m || secret?.length !== RECEIVER_SECRET_BYTES) throw new KeyFileError(`${what} is not a fountcast receiver key (made by fountcast enroll)`);
  return { name: m[1]!, secret };
}

export async function loadReceiverKeyFile(path: string): Promise<{ name: string; secret: Uint8Array }> {
  return parseReceiverKey((await read(path, 'receiver key')).toString('utf8'), `receiver key ${path}`);
}

/** The sender's allow-list: `<dir>/<name>.key`, read at every Hello (a deleted file is revoked). */
export function receiverKeyDirectory(dir: string): (name: string) => Promise<Uint8Array | undefined> {
  return async (name) => {
    if (!enrollable(name)) return undefined;
    let text: string;
    try {
      text = await readFile(join(dir, `${name}.key`), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const k = parseReceiverKey(text, `receiver key ${join(dir, `${name}.key`)}`);
    return k.name === name ? k.secret : undefined;
  };
}
