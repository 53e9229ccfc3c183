#!/usr/bin/env node
/**
 * The `emon` executable (package.json "bin"). It is CommonJS so that the commands a unikernel user runs most
 * start without Node's ES module loader, which alone costs a noticeable share of a bare `node` start:
 * `emon --version` is answered here from the build record (the line runtime/cli/version.ts makes, from
 * dist/build-info.json), and a plain `emon run` or `emon inspect` by the build's CommonJS bundle of ./fast.ts
 * (dist/runtime/fast.bundle.cjs, used only when newer than the compiled ./fast.js). Everything else, and
 * whatever the bundle declines, continues in ./main.js.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

type Fast = (argv: readonly string[]) => Promise<number | null>;

function versionLine(): string {
  let version = 'unknown';
  let commit = 'unknown';
  try {
    const info = JSON.parse(readFileSync(join(__dirname, '..', '..', 'build-info.json'), 'utf8')) as { version?: unknown; commit?: unknown };
    if (typeof info.version === 'string') version = info.version;
    if (typeof info.commit === 'string') commit = info.commit;
  } catch {
    // Not built by `npm run build`: the line says what it does not know.
  }
  return `emon ${version} (commit ${commit})`;
}

function bundledFast(): Fast | undefined {
  const bundle = join(__dirname, '..', 'fast.bundle.cjs');
  try {
    if (statSync(bundle).mtimeMs < statSync(join(__dirname, 'fast.js')).mtimeMs) return undefined;
    return (require(bundle) as { fast: Fast }).fast;
  } catch {
    return undefined;
  }
}

const args = process.argv.slice(2);
const fast = args.length === 1 && (args[0] === '--version' || args[0] === '-V') ? undefined : args[0] === 'run' || args[0] === 'inspect' ? bundledFast() : undefined;
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${versionLine()}\n`);
} else if (fast !== undefined) {
  // `emon run GUEST | head` closes our stdout early: the reader's choice, not an error worth a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode === undefined ? 0 : Number(process.exitCode));
      throw e;
    });
  }
  void fast(args).then((status) => {
    if (status !== null) process.exitCode = status;
    else {
      (globalThis as Record<symbol, unknown>)[Symbol.for('emon.fastTried')] = true;
      void import('./main.js');
    }
  });
} else {
  void import('./main.js');
}
