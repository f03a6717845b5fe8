#!/usr/bin/env node
import { main } from './main.js';

// The reader of standard output went away (`cofw save big.v4 | head -1`):
// the rest of what would be printed is not wanted. The command still
// finishes (its output files are still put in place) and exits with its
// own code, without a word.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.stdout.write = (() => true) as typeof process.stdout.write;
});
process.stderr.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.stderr.write = (() => true) as typeof process.stderr.write;
});

void main(process.argv).then((code) => {
  process.exitCode = code;
});
