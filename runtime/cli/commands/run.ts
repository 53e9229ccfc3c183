/**
 * `emon run`: runs one or more Solo5-ABI Wasm unikernels, each in its own worker, with the option shapes of
 * solo5-hvt (grammar in runtime/monitor/runargs.ts). Exit status: the guest's, or for several guests the
 * first non-zero one.
 */
import type { Command } from 'commander';
import { deviceModules } from '../../monitor/devices/index.js';
import { parseRunArgs } from '../../monitor/runargs.js';
import { runGuests } from '../../monitor/supervisor.js';

const HELP = `
Per-guest options (apply to the guest file that follows them):
  --mem=MB                       memory cap in MiB (default 64); growth beyond it fails inside the guest
${deviceModules.map((d) => `  ${d.optionHelp}`).join('\n')}
  --net-mac:NAME=MAC             MAC address of a NIC (default: random, locally administered)
  --name=NAME                    guest name in messages (default: file name)
  --cmdline=STRING               command line of this guest (the last guest also takes \`-- ARGS\`)
  --KIND:NAME=VALUE               attachments of monitor extensions (\`emon run --help\` lists them)
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
  -h, --help                     this help

Examples:
  emon run build/guests/hello.wasm -- hello world
  emon run --block:storage=disk.img,size=1M build/guests/blk.wasm
  emon run --net:service=sw0 build/guests/net-pong.wasm --net:service=sw0 build/guests/net-ping.wasm
  emon run --net:service=udp:9001:127.0.0.1:9002 build/guests/net-pong.wasm   # other emon: udp:9002:127.0.0.1:9001
  emon run --backend=tz --enclave:sealer=build/enclaves/sealer.wasm --block:storage=s.img,size=64K build/guests/enclave-seal.wasm
  emon run --backend=tz --ta-dir=build/ta build/guests/tee-hello.wasm
`;

export function register(program: Command): void {
  const cmd = program
    .command('run')
    .description('run Solo5-ABI WebAssembly unikernels (options apply to the guest file that follows them)')
    .usage('[options] GUEST.wasm [[options] GUEST.wasm]... [-- ARGS]')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .addHelpText('after', HELP)
    .action(async () => {
      // Commander drops a leading `--` from operands in some positions; the raw tokens keep it.
      const raw = (program as unknown as { rawArgs: string[] }).rawArgs;
      const parsed = parseRunArgs(raw.slice(raw.indexOf('run') + 1));
      if (parsed.help) {
        // Extensions are loaded only here, so a plain `emon run` does not pay for their imports.
        const { extensions } = await import('../../monitor/extensions.js');
        const kinds = extensions.filter((e) => e.attachmentKind).map((e) => `  ${`--${e.attachmentKind}:NAME=VALUE`.padEnd(31)}served by the "${e.importModule}" extension\n`);
        process.stdout.write(cmd.helpInformation());
        process.stdout.write(HELP.replace(/ {2}--KIND:NAME=VALUE .*\n/, kinds.join('')));
        return;
      }
      const results = await runGuests(parsed.launches, {
        options: parsed.options,
        verbose: parsed.verbose,
        ...(parsed.timeoutS !== undefined ? { timeoutS: parsed.timeoutS } : {}),
        ...(parsed.traceFile !== undefined ? { traceFile: parsed.traceFile } : {}),
      });
      if (parsed.verbose) for (const r of results) process.stderr.write(`emon: guest ${r.name} ended (${r.reason}) with status ${r.status}\n`);
      const failed = results.find((r) => r.status !== 0);
      process.exitCode = failed === undefined ? 0 : (failed.status & 0xff) || 1;
    });
}
