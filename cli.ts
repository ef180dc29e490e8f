#!/usr/bin/env node
/**
 * Thin command-line entry; the commands live in cli/commands.ts. Exit codes: 0 success,
 * 1 transfer failure, 2 bad usage.
 */
import { runCli } from './cli/commands.js';

process.exitCode = await runCli(process.argv);
