/**
 * `fountcast bundle`: one executable for one receiver — a copy of this Node binary with a
 * single-executable-application blob injected (postject) holding the prebuilt receiver program
 * (dist/sea/receiver.cjs), the raptorq wasm, and the receiver's key, the trusted publishers'
 * public keys and optional defaults. The key is made here and written to --keys only once the
 * executable is built, so a failed build leaves the allow-list as it was.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { newReceiverSecret, receiverKeyFingerprint, writeReceiverKey, loadPublicKeyFile } from '../control/keyFiles.js';
import { RECEIVER_ID_PATTERN } from '../control/messages.js';
import { nativeModulePath } from '../encoder/nativeCrypto.js';
import { distPath } from '../util/workerUrl.js';
import { BUNDLE_CONFIG_ASSET, BUNDLE_NATIVE_ASSET, BUNDLE_WASM_ASSET, type BundleConfig } from './bundleConfig.js';
import { parseEndpoint } from './options.js';
import { packageVersion } from './packageVersion.js';

/** The sentinel Node's SEA support looks for (documented with postject's use in Node's SEA guide). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export class BundleError extends Error {
  override readonly name = 'BundleError';
}

export interface BundleInit {
  /** The receiver's name (its key file is `<keysDir>/<name>.key`). */
  readonly name: string;
  /** The sender's --receiver-keys directory. */
  readonly keysDir: string;
  /** Publisher public key files the bundle trusts (at least one). */
  readonly trust: readonly string[];
  /** Default sender control address, HOST:PORT. */
  readonly sender?: string;
  /** Default --out on the receiving machine. */
  readonly outDefault?: string;
  /** Where the executable goes. */
  readonly out: string;
  /** Replace an existing key for `name` (the old bundle stops working). @default false */
  readonly rotate?: boolean;
}

export interface BundleResult {
  readonly path: string;
  readonly bytes: number;
  readonly fingerprint: string;
  readonly keyPath: string;
  readonly rotated: boolean;
  readonly ms: number;
}

const run = promisify(execFile);

export async function buildBundle(init: BundleInit): Promise<BundleResult> {
  const started = performance.now();
  if (!RECEIVER_ID_PATTERN.test(init.name) || init.name === '.' || init.name === '..')
    throw new BundleError(`receiver name ${JSON.stringify(init.name)} must be 1..64 of [A-Za-z0-9._-]`);
  if (init.trust.length === 0) throw new BundleError('a bundle needs at least one --trust publisher key: it accepts signed publications only');
  if (init.sender !== undefined) parseEndpoint(init.sender);
  const keyPath = join(init.keysDir, `${init.name}.key`);
  const exists = existsSync(keyPath);
  if (exists && !init.rotate)
    throw new BundleError(`${keyPath} exists: ${init.name} already has a key (and maybe a bundle); --rotate replaces it, which stops the old bundle`);
  const entry = distPath('sea/receiver.cjs');
  const wasm = distPath(`sea/${BUNDLE_WASM_ASSET}`);
  if (!existsSync(entry) || !existsSync(wasm)) throw new BundleError(`${entry} is missing: run "npm run build"`);
  const nativeModule = nativeModulePath();
  // Re-exported as SPKI: whatever the file held, only a public key goes in.
  const trust = await Promise.all(init.trust.map(async (f) => (await loadPublicKeyFile(f)).export({ type: 'spki', format: 'pem' }) as string));

  const secret = newReceiverSecret();
  const fingerprint = receiverKeyFingerprint(secret);
  const config: BundleConfig = {
    format: 1,
    key: `fountcast-receiver-key-v1 ${init.name} ${Buffer.from(secret).toString('base64')}\n`,
    fingerprint,
    trust,
    sender: init.sender,
    out: init.outDefault,
    version: packageVersion(),
  };
  const work = await mkdtemp(join(tmpdir(), 'fountcast-bundle-'));
  const out = resolve(init.out);
  const staged = join(dirname(out), `.${init.name}.${process.pid}.bundle-tmp`);
  try {
    await writeFile(join(work, BUNDLE_CONFIG_ASSET), JSON.stringify(config), { mode: 0o600 });
    const seaConfig = {
      main: entry,
      output: join(work, 'sea.blob'),
      disableExperimentalSEAWarning: true,
      assets: {
        [BUNDLE_CONFIG_ASSET]: join(work, BUNDLE_CONFIG_ASSET),
        [BUNDLE_WASM_ASSET]: wasm,
        // Built by this install for this Node (the one the bundle is made of): same ABI.
        ...(nativeModule === undefined ? {} : { [BUNDLE_NATIVE_ASSET]: nativeModule }),
      },
    };
    await writeFile(join(work, 'sea-config.json'), JSON.stringify(seaConfig));
    await run(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')], { cwd: work }).catch((e: Error & { stderr?: string }) => {
      throw new BundleError(`node --experimental-sea-config failed: ${e.stderr?.trim() || e.message}`);
    });
    await copyFile(process.execPath, staged);
    await chmod(staged, 0o700);
    const { inject } = (await import(POSTJECT)) as { inject: PostjectInject };
    // postject's LIEF warns about the Node binary's unnamed .note sections (harmless, ~9 lines per
    // build) through console.warn, bound when inject loads it: those lines are dropped.
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void (/^warning: Can't find string offset/.test(String(args[0])) || warn(...args));
    try {
      await inject(staged, 'NODE_SEA_BLOB', await readFile(join(work, 'sea.blob')), { sentinelFuse: SEA_FUSE });
    } finally {
      console.warn = warn;
    }
    await chmod(staged, 0o755);
    // The key goes into the allow-list only now; with --rotate the old one is replaced atomically.
    await writeReceiverKey(init.name, init.keysDir, secret, exists);
    await rename(staged, out);
  } finally {
    await rm(staged, { force: true });
    await rm(work, { recursive: true, force: true });
  }
  return { path: out, bytes: (await stat(out)).size, fingerprint, keyPath, rotated: exists, ms: Math.round(performance.now() - started) };
}

/** postject ships no typings: imported by a name TypeScript does not resolve, typed here. */
const POSTJECT = 'postject';
type PostjectInject = (file: string, resource: string, data: Buffer, options: { sentinelFuse: string }) => Promise<void>;
