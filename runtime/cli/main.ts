#!/usr/bin/env node
/**
 * The `emon` command's entry point, kept to what every start needs: `emon --version` is answered from the
 * build record alone (./version.ts) and everything else loads ./program.ts, which loads only the command
 * being run. Heavy modules (binaryen, wabt, AssemblyScript, @noble) load inside the commands that use them;
 * tests/cli/startup.test.ts keeps it so.
 */
import { statSync } from 'node:fs';
import { versionLine } from './version.js';

type Fast = typeof import('./fast.js');

/** The bundled fast path when the build made one after the modules it was made from, else the modules. */
async function loadFast(): Promise<Fast> {
  const bundle = new URL('../fast.bundle.js', import.meta.url);
  const fresh = (statSync(bundle, { throwIfNoEntry: false })?.mtimeMs ?? 0) >= (statSync(new URL('./fast.js', import.meta.url), { throwIfNoEntry: false })?.mtimeMs ?? Infinity);
  return fresh ? ((await import(bundle.href)) as Fast) : import('./fast.js');
}

// `emon ... | head` closes our stdout early: that is the reader's choice, not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
    throw e;
  });
}

/**
 * The commands a unikernel user runs most are answered without building the whole program (commander and
 * every command's registration): `--version`, `run` (it parses its own Solo5-shaped command line) and a plain
 * `inspect FILE [--json]` (./fast.ts). Their --help, and everything else, goes through ./program.ts.
 */
async function fast(argv: readonly string[]): Promise<number | null> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`${versionLine()}\n`);
    return 0;
  }
  if (argv[0] === 'run') {
    const { runCommand } = await loadFast();
    const status = await runCommand(argv.slice(1));
    return status === 'help' ? null : status;
  }
  const operands = argv.slice(1).filter((a) => a !== '--json');
  if (argv[0] === 'inspect' && operands.length === 1 && !operands[0]!.startsWith('-') && argv.length <= 3) {
    const { inspectCommand } = await loadFast();
    await inspectCommand(operands[0]!, argv.includes('--json'));
    return 0;
  }
  return null;
}

const argv = process.argv.slice(2);
let status: number | null;
try {
  status = await fast(argv);
} catch (e) {
  const { describeError } = await loadFast();
  process.stderr.write(`${describeError(e)}\n`);
  status = 1;
}
if (status === null) {
  const { main } = await import('./program.js');
  status = await main(argv);
}
process.exitCode = status;
