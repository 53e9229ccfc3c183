/**
 * `emon trace`: work with transition traces written by `emon run --trace=FILE` (Chrome trace JSON, opens in
 * ui.perfetto.dev). `emon trace summary FILE` prints an sgx-perf-style table and hints (runtime/trace/summary.ts).
 */
import { readRegularFile } from '../../files.js';
import type { Command } from 'commander';
import { EmonError } from '../../errors.js';
import { parseTrace } from '../../trace/read.js';
import { formatSummary, summarize } from '../../trace/summary.js';

async function loadTrace(file: string): Promise<unknown> {
  let text: string;
  try {
    text = readRegularFile(file, 'utf8');
  } catch (e) {
    throw new EmonError('E_TRACE', `cannot read trace ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      hint: 'write one with `emon run --trace=out.json GUEST.wasm`',
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new EmonError('E_TRACE', `trace ${file} is not valid JSON: ${(e as Error).message}`, {
      hint: 'a trace written by `emon run --trace` that was cut short cannot be summarised; re-run the guest',
    });
  }
}

export function register(program: Command): void {
  const trace = program
    .command('trace')
    .description('inspect transition traces written by `emon run --trace=FILE` (open them in ui.perfetto.dev)');

  trace
    .command('summary')
    .description('sgx-perf-style table per interface function (calls, time, bytes, modeled SGX/TZ cycles) and hints')
    .argument('<file>', 'trace JSON written by `emon run --trace`')
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const summary = summarize(parseTrace(await loadTrace(file), file));
      console.log(opts.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
    });
}
