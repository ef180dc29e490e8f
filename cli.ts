#!/usr/bin/env node
/**
 * Thin command-line entry: one module per command under cli/, registered in cli/program.ts.
 * Exit codes: 0 success, 1 transfer failure, 2 bad usage.
 */
import { runCli } from './cli/program.js';

process.exitCode = await runCli(process.argv);
