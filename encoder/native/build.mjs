#!/usr/bin/env node
/**
 * `npm ci` / `npm install` hook: builds the optional native module (per-datagram
 * AES-256-GCM and HMAC-SHA256, batched datagram I/O; encoder/native/*.c -> build/Release/fountcast_native.node) with
 * node-gyp.
 *
 * Optional by design: fountcast works without it (MAC and encrypted modes then use node:crypto,
 * slower per datagram), so a machine without a C compiler still installs. It never downloads anything:
 * node-gyp is pointed at the headers of the Node that runs this script (<prefix>/include/node,
 * which carry Node's own OpenSSL headers); where they are missing the build is skipped, instead
 * of letting node-gyp fetch a header tarball.
 *
 * FOUNTCAST_SKIP_NATIVE=1 skips the build. FOUNTCAST_REQUIRE_NATIVE=1 makes a failed build fail
 * the install (CI sets it, so a broken module cannot slip through as a silent fallback).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const required = process.env.FOUNTCAST_REQUIRE_NATIVE === '1';

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
const run = spawnSync(command, [...args, 'rebuild', `--nodedir=${prefix}`], { cwd: root, stdio: 'inherit' });
if (run.error) skip(`node-gyp did not run: ${run.error.message}`);
if (run.status !== 0) skip(`node-gyp exited with ${run.status ?? run.signal}`);
if (!existsSync(join(root, 'build', 'Release', 'fountcast_native.node'))) skip('node-gyp left no build/Release/fountcast_native.node');
console.log('fountcast: built the native crypto module (AES-256-GCM, HMAC-SHA256)');
