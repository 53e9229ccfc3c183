/**
 * What `emon` answers without building the whole program (./main.ts, ./emon.cts): a plain `emon run` (one
 * guest that runs on the monitor's thread: no NIC, timeout, trace or extension) and a plain `emon inspect`.
 * Anything else returns null before any side effect, and the caller goes on with the full program. The
 * build also bundles this module into one CommonJS file (runtime/build/steps/95-cli-bundle.ts,
 * dist/runtime/fast.bundle.cjs) that ./emon.cts loads with require(), without Node's ES module loader or a
 * few dozen module loads; supervisor and extensions stay outside it, as this path never needs them.
 */
import { describeError } from '../errors.js';
import { canRunInline, runInline } from '../monitor/inline.js';
import { parseRunArgs } from '../monitor/runargs.js';
import { SOLO5_IMPORT_MODULE } from '../monitor/abi.js';
import { finish, oldFormNote } from './commands/run.js';
import { inspectGuest, printInspection } from './commands/inspect.js';

/** The exit status, or null when the full program must handle argv. */
export async function fast(argv: readonly string[]): Promise<number | null> {
  try {
    if (argv[0] === 'run') {
      const parsed = parseRunArgs(argv.slice(1));
      if (parsed.help || parsed.fleet !== null || !canRunInline(parsed.launches, parsed) || parsed.options['emulateCost'] === true) return null;
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const note = oldFormNote(parsed);
      // The note is printed only once the guest is known to run here, so a handed-over run does not print it twice.
      const r = await runInline(parsed.launches[0]!, parsed.options, parsed.verbose, log, () => note !== null && log(note));
      if (r === null) return null;
      return finish(parsed, [r], log);
    }
    const operands = argv.slice(1).filter((a) => a !== '--json');
    if (argv[0] === 'inspect' && operands.length === 1 && !operands[0]!.startsWith('-') && argv.length <= 3) {
      const r = inspectGuest(operands[0]!);
      if (r.imports.some((i) => i.module !== SOLO5_IMPORT_MODULE)) return null;
      printInspection(r, argv.includes('--json'));
      return 0;
    }
    return null;
  } catch (e) {
    process.stderr.write(`${describeError(e)}\n`);
    return 1;
  }
}
