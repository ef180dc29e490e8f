#!/usr/bin/env node
/**
 * Thin command-line entry: one module per command under cli/, registered in cli/program.ts.
 * Exit codes: see cli/program.ts.
 */
import { runCli } from './cli/program.js';

// No top-level await: the build bundles this entry as a classic script (scripts/bundleCli.mjs).
void runCli(process.argv).then((code) => {
  process.exitCode = code;
});
