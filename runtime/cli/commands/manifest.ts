/** `emon manifest` (placeholder until its issue lands). */
import type { Command } from 'commander';
import { EmonError } from '../../errors.js';

export function register(program: Command): void {
  program
    .command('manifest')
    .description('(not yet available)')
    .action(() => {
      throw new EmonError('E_UNAVAILABLE', '`emon manifest` is not available in this build');
    });
}
