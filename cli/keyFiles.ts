/**
 * Key files for the CLI: `fountcast keygen` writes a publisher key pair as PEM (the private key
 * 0600, never overwritten unless --force), `send --sign` and `receive --trust` read them. The
 * library takes KeyObjects; reading files is the CLI's job.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { generatePublisherKeys, KeyFileError, parsePrivateKey, parsePublicKey, publisherId, rawPublicKey } from '../control/publication.js';

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
    throw new KeyFileError(code === 'EEXIST' ? `${(e as NodeJS.ErrnoException).path} exists; keygen never overwrites a key (use --force)` : `cannot write the key pair: ${(e as Error).message}`);
  }
  return { privatePath, publicPath, publisherId: publisherId(rawPublicKey(parsePublicKey(publicPem))) };
}
