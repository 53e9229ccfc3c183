#!/usr/bin/env node
/**
 * The `emon` command. Each subcommand lives in runtime/cli/commands/ and registers itself here; errors are
 * printed as `emon: <message>` plus a hint, never as a stack trace, and the exit status is non-zero.
 */
import { Command, CommanderError } from 'commander';
import { describeError } from '../errors.js';
import { register as registerRun } from './commands/run.js';
import { register as registerInspect } from './commands/inspect.js';
import { register as registerManifest } from './commands/manifest.js';
import { register as registerDemo } from './commands/demo.js';
import { register as registerEnclave } from './commands/enclave.js';
import { register as registerEdl } from './commands/edl.js';
import { register as registerBench } from './commands/bench.js';
import { register as registerTrace } from './commands/trace.js';
import { register as registerTa } from './commands/ta.js';

export function buildProgram(): Command {
  const program = new Command('emon')
    .description('enclave-aware unikernel monitor: runs Solo5-ABI WebAssembly unikernels with simulated enclaves')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  for (const register of [
    registerRun,
    registerInspect,
    registerManifest,
    registerDemo,
    registerEnclave,
    registerEdl,
    registerBench,
    registerTrace,
    registerTa,
  ]) {
    register(program);
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    console.error(describeError(e));
    return 1;
  }
}

// `emon ... | head` closes our stdout early: that is the reader's choice, not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
    throw e;
  });
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
