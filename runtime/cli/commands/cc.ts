/**
 * `emon cc`: builds a C unikernel, as Solo5's toolchain wrapper (x86_64-solo5-none-static-cc) does for its
 * targets: clang with emon's Solo5 bindings and wasi-libc (or, with --no-libc, the freestanding set), then
 * the manifest embedded as Solo5's solo5-elftool would. The command line itself is runtime/build/cc.ts.
 */
import type { Command } from 'commander';
import { EmonError } from '../../errors.js';

const HELP = `
Arguments not listed above (-D, -I, -W, -O, ...) go to clang unchanged.

With libc (default): Debian's wasi-libc (apt-get install wasi-libc libclang-rt-dev-wasm32); printf, malloc,
string.h, qsort, ... work, WASI calls are served inside the guest over Solo5 calls (console, clocks,
args, exit) and the program may define int main(int argc, char **argv) instead of solo5_app_main.
With --no-libc: freestanding, with the bindings' small printf and mem*/str*.
Both have real __thread TLS (solo5_tls_size/init/tp_offset, solo5_set_tls_base) and -fstack-protector-strong.

Examples:
  emon cc -o hello.wasm guest/examples/hello-libc/main.c
  emon cc --no-libc --manifest=manifest.json -o blk.wasm guest/examples/blk-c/main.c
  emon cc --dry-run -o app.wasm app.c        # print the clang command line
`;

interface CcFlags {
  output?: string;
  libc: boolean;
  manifest?: string;
  dryRun: boolean;
  sources: string[];
  extra: string[];
}

function parse(tokens: readonly string[]): CcFlags {
  const f: CcFlags = { libc: true, dryRun: false, sources: [], extra: [] };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const value = (name: string) => {
      const v = tokens[++i];
      if (v === undefined) throw new EmonError('E_USAGE', `${name} needs a value`, { hint: 'see `emon cc --help`' });
      return v;
    };
    if (t === '-o') f.output = value('-o');
    else if (t.startsWith('-o') && t.length > 2) f.output = t.slice(2);
    else if (t === '--no-libc') f.libc = false;
    else if (t === '--libc') f.libc = true;
    else if (t === '--dry-run') f.dryRun = true;
    else if (t === '--manifest') f.manifest = value('--manifest');
    else if (t.startsWith('--manifest=')) f.manifest = t.slice('--manifest='.length);
    else if (!t.startsWith('-') && /\.(c|o|a)$/.test(t)) f.sources.push(t);
    else f.extra.push(t);
  }
  return f;
}

export function register(program: Command): void {
  program
    .command('cc')
    .description('build a C unikernel with clang, emon\'s Solo5 bindings and wasi-libc')
    .usage('[--no-libc] [--manifest=manifest.json] [--dry-run] -o OUT.wasm SOURCE.c... [clang options]')
    .helpOption('-h, --help', 'this help')
    .option('-o <file>', 'output .wasm file')
    .option('--no-libc', 'freestanding: no wasi-libc (the bindings\' small printf)')
    .option('--manifest <file>', 'Solo5 manifest.json to embed')
    .option('--dry-run', 'print the clang command line instead of running it')
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .addHelpText('after', HELP)
    .action(async () => {
      const raw = (program as unknown as { rawArgs: string[] }).rawArgs;
      const f = parse(raw.slice(raw.indexOf('cc') + 1));
      if (f.output === undefined) throw new EmonError('E_USAGE', 'no output file', { hint: 'give -o OUT.wasm' });
      if (f.sources.length === 0) throw new EmonError('E_USAGE', 'no C source file given', { hint: 'emon cc -o app.wasm app.c' });
      const { cc, ccArgs } = await import('../../build/cc.js');
      const options = { sources: f.sources, output: f.output, libc: f.libc, extra: f.extra, ...(f.manifest !== undefined ? { manifest: f.manifest } : {}) };
      if (f.dryRun) {
        console.log(['clang', ...ccArgs(options)].map((a) => (/[^\w@%+=:,./-]/.test(a) ? `'${a}'` : a)).join(' '));
        console.log(`# then: the memory's shared flag is cleared (TLS needs --shared-memory to link)${f.manifest ? `; ${f.manifest} is embedded` : ''}`);
        return;
      }
      cc(options);
    });
}
