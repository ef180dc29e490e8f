#!/usr/bin/env node
/**
 * `npm ci` / `npm install` hook: builds the optional native module (per-datagram
 * AES-256-GCM and HMAC-SHA256, batched datagram I/O; encoder/native/*.c -> build/Release/fountcast_native.node) with
 * node-gyp, and first, where a Rust toolchain (1.85 or later) is installed, the vendored raptorq
 * crate as a static library linked into it for RaptorQ decoding (encoder/native/raptorqFfi; cargo
 * runs offline and locked: the crate has no dependencies). Without Rust the module is built
 * without it and receivers decode with the wasm codec, about 6x slower per core.
 *
 * Optional by design: fountcast works without it (MAC and encrypted modes then use node:crypto,
 * slower per datagram), so a machine without a C compiler still installs. It never downloads anything:
 * node-gyp is pointed at the headers of the Node that runs this script (<prefix>/include/node,
 * which carry Node's own OpenSSL headers); where they are missing the build is skipped, instead
 * of letting node-gyp fetch a header tarball.
 *
 * FOUNTCAST_SKIP_NATIVE=1 skips the build; FOUNTCAST_SKIP_NATIVE_RAPTORQ=1 only the Rust part.
 * FOUNTCAST_REQUIRE_NATIVE=1 makes a failed build fail the install, and
 * FOUNTCAST_REQUIRE_NATIVE_RAPTORQ=1 a missing or failed Rust part (CI sets both where it has
 * Rust, so a broken module cannot slip through as a silent fallback).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const required = process.env.FOUNTCAST_REQUIRE_NATIVE === '1';
const raptorqRequired = process.env.FOUNTCAST_REQUIRE_NATIVE_RAPTORQ === '1';

function skip(why) {
  if (required) {
    console.error(`fountcast: the native crypto module (AES-256-GCM, HMAC-SHA256) is required (FOUNTCAST_REQUIRE_NATIVE=1) but ${why}`);
    process.exit(1);
  }
  console.warn(`fountcast: native crypto module (AES-256-GCM, HMAC-SHA256) not built (${why}); MAC and encrypted modes use node:crypto`);
  process.exit(0);
}

if (process.env.FOUNTCAST_SKIP_NATIVE === '1') skip('FOUNTCAST_SKIP_NATIVE=1');

// The running Node's own headers: <prefix>/bin/node -> <prefix>/include/node.
const prefix = resolve(dirname(process.execPath), '..');
if (!existsSync(join(prefix, 'include', 'node', 'node_api.h')) || !existsSync(join(prefix, 'include', 'node', 'openssl', 'evp.h'))) {
  skip(`no Node headers under ${join(prefix, 'include', 'node')}`);
}

// npm tells scripts where its bundled node-gyp is; outside npm, npm's copy next to this Node,
// else one on PATH.
const bundled = join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const gyp = process.env.npm_config_node_gyp ?? (existsSync(bundled) ? bundled : undefined);
const [command, args] = gyp ? [process.execPath, [gyp]] : ['node-gyp', []];
// node-gyp's clean empties build/, where cargo's output goes next: clean first, then configure and build.
const clean = spawnSync(command, [...args, 'clean'], { cwd: root, stdio: 'inherit' });
if (clean.error) skip(`node-gyp did not run: ${clean.error.message}`);
const raptorqLib = buildRaptorQ();
const env = raptorqLib === undefined ? process.env : { ...process.env, FOUNTCAST_RAPTORQ_LIB: raptorqLib };
const run = spawnSync(command, [...args, 'configure', 'build', `--nodedir=${prefix}`], { cwd: root, stdio: 'inherit', env });
if (run.error) skip(`node-gyp did not run: ${run.error.message}`);
if (run.status !== 0) skip(`node-gyp exited with ${run.status ?? run.signal}`);
if (!existsSync(join(root, 'build', 'Release', 'fountcast_native.node'))) skip('node-gyp left no build/Release/fountcast_native.node');
console.log(`fountcast: built the native module (BLAKE3, AES-256-GCM, HMAC-SHA256, batched UDP${raptorqLib === undefined ? '' : ', RaptorQ'})`);

/** The static library's path, or undefined (with a warning) when there is no usable Rust toolchain. */
function buildRaptorQ() {
  const without = (why) => {
    if (raptorqRequired) {
      console.error(`fountcast: the native RaptorQ codec is required (FOUNTCAST_REQUIRE_NATIVE_RAPTORQ=1) but ${why}`);
      process.exit(1);
    }
    console.warn(`fountcast: native RaptorQ codec not built (${why}); RaptorQ runs on the wasm`);
    return undefined;
  };
  if (process.env.FOUNTCAST_SKIP_NATIVE_RAPTORQ === '1') {
    console.warn('fountcast: native RaptorQ codec skipped (FOUNTCAST_SKIP_NATIVE_RAPTORQ=1)');
    return undefined;
  }
  // rustup installs into ~/.cargo/bin, which a non-login shell (npm's, CI's) may not have on PATH.
  const home = process.env.CARGO_HOME ?? join(homedir(), '.cargo');
  const cargo = [process.env.CARGO, 'cargo', join(home, 'bin', 'cargo')].find((c) => c && spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
  if (cargo === undefined) return without('no cargo on PATH or in ~/.cargo/bin');
  const targetDir = join(root, 'build', 'raptorq');
  const manifest = join(root, 'encoder', 'native', 'raptorqFfi', 'Cargo.toml');
  const build = spawnSync(cargo, ['build', '--release', '--offline', '--locked', '--manifest-path', manifest, '--target-dir', targetDir], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.error || build.status !== 0) return without(`cargo build failed (${build.error?.message ?? `exit ${build.status}`}; Rust 1.85 or later is needed)`);
  const lib = join(targetDir, 'release', 'libfountcast_raptorq.a');
  return existsSync(lib) ? lib : without(`cargo left no ${lib}`);
}
