#!/usr/bin/env node
import { processIo, runCli } from './run.js';

const code = await runCli(process.argv.slice(2), processIo());
// Let pending stdout writes drain instead of calling process.exit, which can truncate piped output.
process.exitCode = code;
