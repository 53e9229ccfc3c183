/**
 * `emon edl`: the EDL tool, emon's sgx_edger8r. `gen` writes the guest stubs (AssemblyScript and C) and the
 * enclave bridge for one EDL file; `check` only parses it and lists its functions.
 */
import type { Command } from 'commander';
import path from 'node:path';
import { generateAll, readEdl } from '../../enclave/edl/generate.js';
import { describeParam } from '../../enclave/edl/gen-common.js';

export function register(program: Command): void {
  const edl = program.command('edl').description('EDL (SGX Enclave Definition Language) tools');
  edl
    .command('gen')
    .description('generate guest stubs (NAME_u.ts, NAME_u.h) and the enclave bridge (NAME_t.ts) from an EDL file')
    .argument('<file.edl>', 'the EDL file')
    .option('-o, --out <dir>', 'output folder', 'generated')
    .action((file: string, opts: { out: string }) => {
      const iface = readEdl(file);
      for (const p of generateAll(iface, opts.out)) console.log(path.relative(process.cwd(), p) || p);
    });
  edl
    .command('check')
    .description('parse an EDL file and list its ECALLs and OCALLs')
    .argument('<file.edl>', 'the EDL file')
    .action((file: string) => {
      const iface = readEdl(file);
      for (const f of iface.trusted) {
        console.log(`ecall ${f.index} ${f.isPublic ? 'public ' : ''}${f.name}(${f.params.map(describeParam).join(', ')})`);
      }
      for (const f of iface.untrusted) {
        console.log(`ocall ${f.index} ${f.name}(${f.params.map(describeParam).join(', ')})${f.allow.length ? ` allow(${f.allow.join(', ')})` : ''}`);
      }
    });
}
