/**
 * Loading the raptorq wasm build. The package keeps ONE wasm instance in module state per thread
 * (wasm-bindgen's `initSync` replaces it on every call, orphaning live objects), so this file is
 * the only place that calls `initSync`, and does so once per thread. Compiling is the slow part
 * (~tens of ms); a worker gets the main thread's compiled `WebAssembly.Module` through workerData
 * (Modules are structured-cloneable) and instantiates it without recompiling.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { initSync, type InitOutput } from 'raptorq/raptorq.js';

/**
 * A compiled `WebAssembly.Module` of raptorq_bg.wasm. Opaque here because the project's lib
 * settings (ES2022, @types/node 20) carry no WebAssembly typings.
 */
export interface RaptorQWasmModule {
  readonly __raptorqWasmModule?: never;
}

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => RaptorQWasmModule;
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

let compiled: RaptorQWasmModule | undefined;
let instance: InitOutput | undefined;

/**
 * Uses these bytes of raptorq_bg.wasm instead of reading the package's file: a single-file
 * bundle carries them as an asset and has no node_modules. Call before any codec is made.
 */
export function provideRaptorQWasm(bytes: Uint8Array): void {
  compiled ??= new webAssembly.Module(bytes);
}

/** Compiles raptorq_bg.wasm (once per thread; cached). */
export function compileRaptorQModule(): RaptorQWasmModule {
  if (compiled === undefined) {
    const path = createRequire(import.meta.url).resolve('raptorq/raptorq_bg.wasm');
    compiled = new webAssembly.Module(readFileSync(path));
  }
  return compiled;
}

/**
 * Instantiates the wasm in this thread unless already done. `module` (e.g. from workerData) avoids
 * a recompile; it is ignored once the thread has an instance.
 */
export function initRaptorQWasm(module?: RaptorQWasmModule): void {
  if (instance !== undefined) return;
  if (module !== undefined) compiled = module;
  instance = initSync((module ?? compileRaptorQModule()) as Parameters<typeof initSync>[0]);
}

/**
 * Bytes of this thread's wasm linear memory (0 before init). It only ever grows: a leak of
 * un-freed encoders/decoders shows up here, which the memory test and stats rely on.
 */
export function raptorqWasmMemoryBytes(): number {
  return instance === undefined ? 0 : (instance.memory as unknown as { buffer: ArrayBuffer }).buffer.byteLength;
}
