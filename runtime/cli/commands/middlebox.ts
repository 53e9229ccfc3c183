/**
 * `emon middlebox`: provisioning for the middlebox enclave on a guest NIC's path (docs/middlebox.md). `seal`
 * compiles a text rule file and has the middlebox enclave itself check and seal it to this platform, so the
 * monitor that later loads it can neither read nor alter the rules; `check` only compiles.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { EmonError } from '../../errors.js';
import { buildDir } from '../../paths.js';
import { readRegularFile } from '../../files.js';

function readRules(file: string): string {
  try {
    return readRegularFile(file, 'utf8');
  } catch (e) {
    throw new EmonError('E_NO_FILE', `cannot read the rule file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      hint: 'give a text rule file, e.g. one line `allow out udp to :53` (see docs/middlebox.md)',
    });
  }
}

export function register(program: Command): void {
  const mb = program.command('middlebox').description('provision the middlebox enclave that filters a guest NIC (--net:NAME=...,middlebox=,rules=)');
  mb.command('seal')
    .description('compile a rule file and seal it to the middlebox enclave on this platform')
    .argument('<rules>', 'text rule file (docs/middlebox.md)')
    .requiredOption('-o, --out <file>', 'where to write the sealed rules')
    .option('--enclave <file>', 'the middlebox enclave', path.join(buildDir, 'enclaves', 'middlebox.wasm'))
    .option('--state-dir <dir>', 'platform state directory (the same as the `emon run` that loads the rules)')
    .action(async (rulesFile: string, o: { out: string; enclave: string; stateDir?: string }) => {
      const { compileRules } = await import('../../monitor/middlebox-rules.js');
      const { Middlebox } = await import('../../monitor/middlebox.js');
      const { defaultStateDir, loadPlatform } = await import('../../hw/sgx/platform.js');
      const rules = compileRules(readRules(rulesFile), rulesFile);
      const box = Middlebox.load(o.enclave, loadPlatform(o.stateDir ?? defaultStateDir()));
      const blob = box.sealRules(rules, rulesFile);
      try {
        writeFileSync(o.out, blob);
      } catch (e) {
        throw new EmonError('E_WRITE', `cannot write the sealed rules to ${o.out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      console.log(`sealed ${rulesFile} (${rules.length} bytes of rules) to ${o.out} (${blob.length} bytes)`);
    });
  mb.command('check')
    .description('compile a rule file and report its errors, without sealing it')
    .argument('<rules>', 'text rule file (docs/middlebox.md)')
    .action(async (rulesFile: string) => {
      const { compileRules } = await import('../../monitor/middlebox-rules.js');
      const rules = compileRules(readRules(rulesFile), rulesFile);
      const dv = new DataView(rules.buffer);
      console.log(`${rulesFile}: ${dv.getUint16(16, true)} rules, ${dv.getUint16(18, true)} patterns, default ${rules[6] === 1 ? 'allow' : 'deny'}`);
    });
}
