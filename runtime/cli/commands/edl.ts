/**
 * `emon edl`: the EDL tool, emon's sgx_edger8r. `gen` writes the guest stubs (AssemblyScript and C) and the
 * enclave bridge for one EDL file; `check` parses it with its imports and shows the whole interface: imports,
 * types with sizes and offsets, functions with the bytes each parameter copies and in which direction.
 */
import type { Command } from 'commander';
import path from 'node:path';
import { describeInterface } from '../../enclave/edl/describe.js';
import { generateAll, readEdl } from '../../enclave/edl/generate.js';
import { typeOptions } from '../../enclave/edl/foreign-types.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];
const SEARCH_HELP = 'folder searched for imported EDLs after the importing file\'s own (repeatable, as edger8r\'s --search-path)';
export const TYPE_HELP = 'size of a type from an included C header: NAME=SIZE, NAME=SIZE/ALIGN or NAME=SCALAR (repeatable; docs/edl.md)';

export function register(program: Command): void {
  const edl = program.command('edl').description('EDL (SGX Enclave Definition Language) tools');
  edl
    .command('gen')
    .description('generate guest stubs (NAME_u.ts, NAME_u.h) and the enclave bridge (NAME_t.ts) from an EDL file')
    .argument('<file.edl>', 'the EDL file')
    .option('-o, --out <dir>', 'output folder', 'generated')
    .option('--search-path <dir>', SEARCH_HELP, collect, [] as string[])
    .option('--type <NAME=SIZE>', TYPE_HELP, collect, [] as string[])
    .action((file: string, opts: { out: string; searchPath: string[]; type: string[] }) => {
      const iface = readEdl(file, { searchPath: opts.searchPath, types: typeOptions(opts.type) });
      for (const p of generateAll(iface, opts.out)) console.log(path.relative(process.cwd(), p) || p);
    });
  edl
    .command('check')
    .description('parse an EDL file with its imports and show the interface: imports, types (sizes, offsets), functions (copy direction, bytes)')
    .argument('<file.edl>', 'the EDL file')
    .option('--search-path <dir>', SEARCH_HELP, collect, [] as string[])
    .option('--type <NAME=SIZE>', TYPE_HELP, collect, [] as string[])
    .action((file: string, opts: { searchPath: string[]; type: string[] }) => {
      for (const line of describeInterface(readEdl(file, { searchPath: opts.searchPath, types: typeOptions(opts.type) }))) console.log(line);
    });
}
