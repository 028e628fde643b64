#!/usr/bin/env node
// The installed command: runs the compiled CLI (npm run build writes dist/).
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
