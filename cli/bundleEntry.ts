/**
 * The program inside a single-file bundle (`fountcast bundle`): `receive` with the embedded key,
 * trusted publishers and defaults. Bundled by esbuild into dist/sea/receiver.cjs (npm run build)
 * and run by the Node binary the bundle is made of, so it reads its assets through node:sea and
 * never touches node_modules, the native crypto module or a worker script on disk.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getAsset } from 'node:sea';
import { Command } from 'commander';
import { PROTOCOL_VERSION } from '../control/messages.js';
import { useNativeModuleAt } from '../encoder/nativeCrypto.js';
import { provideRaptorQWasm } from '../encoder/raptorqWasm.js';
import { BUNDLE_CONFIG_ASSET, BUNDLE_NATIVE_ASSET, BUNDLE_WASM_ASSET, parseBundleConfig } from './bundleConfig.js';
import { configureReceive } from './receiveCommand.js';
import { RunContext } from './runContext.js';
import { runProgram } from './runProgram.js';

const EXIT_CODES = `
Exit codes: 0 done, 1 transfer failed, 2 usage error, 130 interrupted (SIGINT), 143 terminated (SIGTERM).`;

/**
 * Loads the native module the bundle carries (BLAKE3 segment digests at native speed, batched
 * UDP, native decode). Without it, or if it fails to load, the JavaScript paths do the work.
 */
function loadCarriedNativeModule(): boolean {
  let bytes: ArrayBuffer;
  try {
    bytes = getAsset(BUNDLE_NATIVE_ASSET);
  } catch {
    return false; // built where the install had no native module
  }
  // A fresh 0700 directory: nobody else can swap the file between the write and the load.
  const dir = mkdtempSync(join(tmpdir(), 'fountcast-native-'));
  try {
    const path = join(dir, BUNDLE_NATIVE_ASSET);
    writeFileSync(path, new Uint8Array(bytes), { mode: 0o500 });
    return useNativeModuleAt(path).module !== undefined;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const native = loadCarriedNativeModule();
  provideRaptorQWasm(new Uint8Array(getAsset(BUNDLE_WASM_ASSET)));
  const bundle = parseBundleConfig(getAsset(BUNDLE_CONFIG_ASSET, 'utf8'));
  const ctx = new RunContext();
  const program = new Command()
    .name(bundle.name)
    .version(
      `${bundle.name} key ${bundle.fingerprint} (fountcast ${bundle.version}, wire protocol ${PROTOCOL_VERSION}${native ? ', native module' : ''})`,
      '-V, --version',
    )
    .configureOutput({ outputError: (text, write) => write(`${bundle.name}: ${text}`) })
    .exitOverride();
  configureReceive(program, ctx, bundle.embedded);
  program.showHelpAfterError(`(see '${bundle.name} --help')`).addHelpText('after', EXIT_CODES);
  return runProgram(program, ctx, process.argv);
}

main().then(
  (code) => (process.exitCode = code),
  (e: Error) => {
    process.stderr.write(`fountcast bundle: ${e.message}\n`);
    process.exitCode = 1;
  },
);
