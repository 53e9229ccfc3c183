/**
 * The `emon` command's program (./main.ts is the entry point). Each subcommand lives in runtime/cli/commands/
 * and registers itself; only the module of the command being run is loaded (all of them for `emon --help`),
 * so one command never pays for another's imports. Errors are printed as `emon: <message>` plus a hint,
 * never as a stack trace, and the exit status is non-zero.
 */
import { Command, CommanderError } from 'commander';
import { describeError } from '../errors.js';
import { versionLine } from './version.js';

type CommandModule = { register(program: Command): void };

/** In the order `emon --help` lists them. */
const COMMANDS: Readonly<Record<string, () => Promise<CommandModule>>> = {
  run: () => import('./commands/run.js'),
  inspect: () => import('./commands/inspect.js'),
  manifest: () => import('./commands/manifest.js'),
  demo: () => import('./commands/demo.js'),
  enclave: () => import('./commands/enclave.js'),
  edl: () => import('./commands/edl.js'),
  bench: () => import('./commands/bench.js'),
  trace: () => import('./commands/trace.js'),
  cc: () => import('./commands/cc.js'),
  attest: () => import('./commands/attest.js'),
  verifier: () => import('./commands/verifier.js'),
  attack: () => import('./commands/attack.js'),
  ta: () => import('./commands/ta.js'),
  middlebox: () => import('./commands/middlebox.js'),
};

/** The program with the command named by argv registered (every command if argv names none). */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('emon')
    .description('enclave-aware unikernel monitor: runs Solo5-ABI WebAssembly unikernels with simulated enclaves')
    .version(versionLine(), '-V, --version', 'print the version and the commit emon was built from')
    .showHelpAfterError()
    .exitOverride();
  const named = argv.find((a) => !a.startsWith('-'));
  const wanted = named !== undefined && named in COMMANDS ? [named] : Object.keys(COMMANDS);
  for (const name of wanted) (await COMMANDS[name]!()).register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    console.error(describeError(e));
    return 1;
  }
}

