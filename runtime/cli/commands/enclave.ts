/** `emon enclave` (placeholder until its issue lands). */
import type { Command } from 'commander';
import { EmonError } from '../../errors.js';

export function register(program: Command): void {
  program
    .command('enclave')
    .description('(not yet available)')
    .action(() => {
      throw new EmonError('E_UNAVAILABLE', '`emon enclave` is not available in this build');
    });
}
