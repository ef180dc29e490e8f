import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as api from '../index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PRODUCT_FOLDERS = ['encoder', 'control', 'receiver', 'sender', 'util', 'cli'];
/** Errors only the command line raises; the library never throws them, so index.ts leaves them out. */
const CLI_ONLY = new Set(['OnCompleteError', 'UnitError', 'EventsTargetError', 'BundleError', 'EnrollServerError', 'DigestInputError']);

type ErrorClass = new (...args: unknown[]) => Error;

const exportedErrors = (Object.entries(api) as [string, unknown][]).filter(
  (e): e is [string, ErrorClass] => typeof e[1] === 'function' && (e[1] as { prototype: unknown }).prototype instanceof Error,
);

/** Every `class X extends ...Error` declared in the product folders, with its body's first lines. */
function declaredErrorClasses(): { name: string; file: string; body: string }[] {
  const found: { name: string; file: string; body: string }[] = [];
  for (const folder of PRODUCT_FOLDERS) {
    for (const entry of readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })) {
      if (!entry.endsWith('.ts')) continue;
      const file = join(folder, entry);
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const m of text.matchAll(/class (\w+) extends (\w*Error)\b[^{]*\{([^]*?)\n\}/g)) found.push({ name: m[1]!, file, body: m[3]! });
    }
  }
  return found;
}

describe('public error classes', () => {
  it('index.ts exports the library-facing ones', () => {
    expect(exportedErrors.map(([k]) => k).sort()).toEqual(
      [
        'CodecError',
        'DecodeWorkerError',
        'DiskError',
        'FrameTooLargeError',
        'HashMismatchError',
        'IntegrityKeyError',
        'InterfaceError',
        'KeyFileError',
        'LayoutError',
        'LocalProtocolError',
        'ManifestRejectedError',
        'OutputConflictError',
        'ReceiveError',
        'ReceiveOptionsError',
        'RemoteProtocolError',
        'SendOptionsError',
        'SenderAuthenticationError',
        'SourceFileError',
        'SshTargetError',
        'StandingStateError',
        'StreamFailedError',
        'TamperedSourceError',
        'TransferAbortedError',
        'TrustStateError',
        'UnsafeOutputPathError',
        'UntrustedManifestError',
      ].sort(),
    );
  });

  it.each(exportedErrors)('%s is an Error whose stable name is its class name', (key, ErrorClass) => {
    expect(ErrorClass.name).toBe(key);
    const e = new ErrorClass('a', 'b', 'c');
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(ErrorClass);
    expect(e.name).toBe(key);
    expect(String(e)).toMatch(new RegExp(`^${key}: `));
  });

  it('every error class in the product declares its name and is public (or CLI-only)', () => {
    const declared = declaredErrorClasses();
    expect(declared.length).toBeGreaterThanOrEqual(exportedErrors.length);
    const exported = new Set(exportedErrors.map(([k]) => k));
    for (const { name, file, body } of declared) {
      expect(body, `${file}: ${name}`).toMatch(new RegExp(`override readonly name(: string)? = '${name}';`));
      expect(exported.has(name) || CLI_ONLY.has(name), `${file}: ${name} is neither exported from index.ts nor CLI-only`).toBe(true);
    }
  });
});
