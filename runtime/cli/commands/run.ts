/**
 * `emon run`: runs one or more Solo5-ABI Wasm unikernels with the Solo5 tenders' command line (solo5-hvt,
 * grammar in runtime/monitor/runargs.ts). Exit status: the guest's, or for several guests the first non-zero
 * one; 1 when the command line or an attachment is refused before any guest starts.
 */
import type { Command } from 'commander';
import { EmonError } from '../../errors.js';
import { deviceModules } from '../../monitor/devices/index.js';
import type { GuestResult } from '../../monitor/guest.js';
import { canRunInline, runInline } from '../../monitor/inline.js';
import { parseRunArgs, type RunArgs } from '../../monitor/runargs.js';

const HELP = `
One guest, as Solo5's tenders (solo5-hvt [TENDER OPTIONS] [--] KERNEL [ARGS...]): everything after the guest
file is its command line; a \`--\` right after the guest file is dropped. Several guests in one process: start
each with --guest; its options follow the --guest, its arguments run to the next --guest.

Guest options (before the guest file):
  --mem=MB                       memory cap in MiB (default 64); growth beyond it fails inside the guest
${deviceModules.map((d) => `  ${d.optionHelp}`).join('\n')}
  --block-sector-size:NAME=N     block size of block device NAME (a power of two, at least 512; default 512)
  --net-mac:NAME=MAC             MAC address of a NIC (default: random, locally administered)
  --name=NAME                    guest name in messages (default: file name)
  --cmdline=STRING               command line of this guest (instead of arguments after the file)
  --KIND:NAME=VALUE               attachments of monitor extensions (\`emon run --help\` lists them)
Guest arguments (first after the guest file, taken off its command line, as Solo5's bindings do):
  --solo5:quiet|error|warn|info|debug  how much emon prints about the guest (quiet: nothing, even with -v;
                                 error: abnormal ends; warn, info: also --timeout stops; debug: as -v)
Run-wide options:
  --timeout=S                    stop a guest still running S seconds after it booted (status 124)
  --trace=FILE                   record every hypercall; write Chrome trace JSON (ui.perfetto.dev)
  --backend=sgx|tz               enclave backend (default sgx)
  --state-dir=DIR                platform state (keys, sealed data) directory
  --epc=SIZE                     EPC budget for enclaves
  --secure-mem=SIZE              TrustZone secure-memory carve-out all TAs share (default 16M; --backend=tz)
  --ta-dir=DIR                   where the secure world finds TAs as <uuid>.ta files (--backend=tz)
  --emulate-cost                 spin for the modeled hardware cost of each enclave transition
  -v, --verbose                  log what the monitor does
Fleets (docs/fleet.md):
  --instances=N                  start N copies of each guest; {i} (0..N-1) in --name, its arguments and
                                 attachment values is replaced by the copy's index (default name NAME.i)
  --sched=shared|worker          shared (default with fleet options): many guests per worker thread, preempted
                                 every time slice; worker: one worker thread per guest
  --workers=N                    worker threads of a shared fleet (default: one per core)
  --slice-ms=MS                  time slice of a guest in a shared worker (default 2)
  --quiet                        drop guest output (the summary is still printed)
  -h, --help                     this help

Block images are checked before the guest starts, as Solo5 does: the image size must be a multiple of the
block size (exit status 1, image untouched otherwise).

Examples:
  emon run build/guests/hello.wasm hello world
  emon run --block:storage=disk.img --block-sector-size:storage=4096 -- build/guests/blk.wasm
  emon run --block:storage=disk.img,size=1M build/guests/blk.wasm --solo5:quiet
  emon run --guest --net:service=switch:sw0 build/guests/net-pong.wasm --guest --net:service=switch:sw0 build/guests/net-ping.wasm 4
  emon run --net:service=udp:9001:127.0.0.1:9002 build/guests/net-pong.wasm   # other emon: udp:9002:127.0.0.1:9001
  emon run --net:service=tap0 build/guests/ping-serve.wasm 10.0.0.2          # host TAP, as solo5-hvt/spt; then: ping 10.0.0.2
  emon run --instances=1000 --quiet --timeout=10 build/guests/timer.wasm      # 1,000 guests on a few threads
  emon run --net:service=user,hostfwd=udp::5007-:7 build/guests/ping-serve.wasm 10.0.2.15   # no root: passt
  emon run --backend=tz --enclave:sealer=build/enclaves/sealer.wasm --block:storage=s.img,size=64K build/guests/enclave-seal.wasm
  emon run --backend=tz --ta-dir=build/ta build/guests/tee-hello.wasm
  emon run --net:service=switch:sw0,middlebox=build/enclaves/middlebox.wasm,rules=fw.sealed ...   # firewall enclave on the NIC (docs/middlebox.md)
`;

/** The grammar before Solo5's alternated options and guest files: say how several guests are written now. */
export function oldFormNote(parsed: RunArgs): string | null {
  const only = parsed.launches.length === 1 ? parsed.launches[0]! : undefined;
  if (only === undefined || !/(^| )--[a-z-]+(:[^ ]*)?=[^ ]* (.* )?[^ ]+\.wasm( |$)/.test(only.cmdline)) return null;
  return `emon: note: everything after ${only.file} is its command line ('${only.cmdline}'); to run several guests, start each with --guest (emon run --help)`;
}

/** Prints the -v / --solo5:debug end lines and returns the exit status of the run. */
export function finish(parsed: RunArgs, results: readonly GuestResult[], log: (line: string) => void): number {
  // parseRunArgs gave each guest its level, -v included (a guest's own --solo5: level wins over -v).
  for (const [i, r] of results.entries()) if (parsed.launches[i]?.logLevel === 'debug') log(`emon: guest ${r.name} ended (${r.reason}) with status ${r.status}`);
  const failed = results.find((r) => r.status !== 0);
  return failed === undefined ? 0 : (failed.status & 0xff) || 1;
}

/**
 * Runs `emon run TOKENS...` (the tokens after `run`); returns the exit status, or 'help' when the tokens ask
 * for it. The entry point calls this directly, without building the whole program, so `emon run` starts fast.
 */
export async function runCommand(tokens: readonly string[]): Promise<number | 'help'> {
  const parsed = parseRunArgs(tokens);
  if (parsed.help) return 'help';
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const note = oldFormNote(parsed);
  if (note !== null) log(note);
  if (parsed.fleet !== null) return runFleetCommand(parsed, log);
  let results: GuestResult[] | null = null;
  if (canRunInline(parsed.launches, parsed)) {
    const r = await runInline(parsed.launches[0]!, parsed.options, parsed.verbose, log);
    if (r !== null) results = [r];
  }
  if (results === null) {
    const { runGuests } = await import('../../monitor/supervisor.js');
    results = await runGuests(parsed.launches, {
      options: parsed.options,
      verbose: parsed.verbose,
      ...(parsed.timeoutS !== undefined ? { timeoutS: parsed.timeoutS } : {}),
      ...(parsed.traceFile !== undefined ? { traceFile: parsed.traceFile } : {}),
    });
  }
  return finish(parsed, results, log);
}

/** `--instances`, `--sched`, `--workers`, `--slice-ms`, `--quiet`: a fleet, ended by its summary. */
async function runFleetCommand(parsed: RunArgs, log: (line: string) => void): Promise<number> {
  const fleet = parsed.fleet!;
  const started = performance.now();
  let results: GuestResult[];
  if (fleet.sched === 'shared') {
    if (parsed.traceFile !== undefined) throw new EmonError('E_USAGE', `--trace=${parsed.traceFile}: guests sharing a worker are not traced`, { hint: 'add --sched=worker to trace a fleet' });
    const { runFleet } = await import('../../monitor/fleet.js');
    results = await runFleet(parsed.launches, {
      console: fleet.quiet ? 'null' : 'prefixed',
      options: parsed.options,
      ...(fleet.workers !== undefined ? { workers: fleet.workers } : {}),
      ...(fleet.sliceMs !== undefined ? { sliceMs: fleet.sliceMs } : {}),
      ...(parsed.timeoutS !== undefined ? { timeoutS: parsed.timeoutS } : {}),
    });
  } else {
    const { runGuests } = await import('../../monitor/supervisor.js');
    results = await runGuests(parsed.launches, {
      options: parsed.options,
      verbose: parsed.verbose,
      console: fleet.quiet ? 'null' : 'prefixed',
      ...(parsed.timeoutS !== undefined ? { timeoutS: parsed.timeoutS } : {}),
      ...(parsed.traceFile !== undefined ? { traceFile: parsed.traceFile } : {}),
    });
  }
  const { fleetSummary } = await import('../../monitor/fleet.js');
  for (const line of fleetSummary(results, (performance.now() - started) / 1000)) log(line);
  return finish(parsed, results, () => {});
}

export function register(program: Command): void {
  const cmd = program
    .command('run')
    .description('run a Solo5-ABI WebAssembly unikernel (several with --guest)')
    .usage('[options] [--] GUEST.wasm [ARGS...]\n       emon run [run-wide options] --guest [options] GUEST.wasm [ARGS...] --guest ...')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .addHelpText('after', HELP)
    .action(async () => {
      // Commander drops a leading `--` from operands in some positions; the raw tokens keep it.
      const raw = (program as unknown as { rawArgs: string[] }).rawArgs;
      const status = await runCommand(raw.slice(raw.indexOf('run') + 1));
      if (status === 'help') {
        // Extensions are loaded only here, so a plain `emon run` does not pay for their imports.
        const { extensions } = await import('../../monitor/extensions.js');
        const kinds = extensions.filter((e) => e.attachmentKind).map((e) => `  ${`--${e.attachmentKind}:NAME=VALUE`.padEnd(31)}served by the "${e.importModule}" extension\n`);
        process.stdout.write(cmd.helpInformation());
        process.stdout.write(HELP.replace(/ {2}--KIND:NAME=VALUE .*\n/, kinds.join('')));
        return;
      }
      process.exitCode = status;
    });
}
