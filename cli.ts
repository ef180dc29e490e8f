#!/usr/bin/env node
/**
 * Thin command-line entry: one module per command under cli/, registered in cli/program.ts.
 * Exit codes: see cli/program.ts.
 */
import { runCli } from './cli/program.js';

process.exitCode = await runCli(process.argv);
