#!/usr/bin/env node
/**
 * The `emon` command's ES module entry point (the executable is ./emon.cts), kept to what every start needs:
 * `emon --version` is answered from the build record alone (./version.ts), a plain run or inspect by
 * ./fast.ts, and everything else by ./program.ts, which loads only the command being run. Heavy modules
 * (binaryen, wabt, AssemblyScript, @noble) load inside the commands that use them; tests/cli/startup.test.ts
 * keeps it so.
 */
import { versionLine } from './version.js';

// `emon ... | head` closes our stdout early: that is the reader's choice, not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
    throw e;
  });
}

/** Set by ./emon.cts when its bundled copy of ./fast.ts already declined argv. */
const FAST_TRIED = Symbol.for('emon.fastTried');

const argv = process.argv.slice(2);
let status: number | null = null;
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${versionLine()}\n`);
  status = 0;
} else if ((globalThis as Record<symbol, unknown>)[FAST_TRIED] !== true) {
  // `emon run` of a plain guest and a plain `emon inspect` without commander and every command (./fast.ts).
  const { fast } = await import('./fast.js');
  status = await fast(argv);
}
if (status === null) {
  const { main } = await import('./program.js');
  status = await main(argv);
}
process.exitCode = status;
