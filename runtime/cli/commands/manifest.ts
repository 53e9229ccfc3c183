/**
 * `emon manifest`: writes or reads the `solo5.manifest` custom section, the role `solo5-elftool gen-manifest`
 * plays for ELF unikernels. `embed` validates the JSON first (device types, names, count, duplicates).
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EmonError } from '../../errors.js';
import { readGuestFile, guestNameOf } from '../../monitor/loader.js';
import { embedManifest, readManifest } from '../../monitor/manifest.js';
import { readSections } from '../../monitor/wasmbin.js';

export function register(program: Command): void {
  const cmd = program.command('manifest').description('embed or show the solo5.manifest of a guest');
  cmd
    .command('embed')
    .description('validate manifest.json and embed it in a guest (replacing any earlier manifest)')
    .argument('<manifest>', 'Solo5 manifest.json')
    .argument('<in>', 'guest .wasm')
    .requiredOption('-o, --output <out>', 'where to write the guest with the manifest')
    .action((manifestPath: string, input: string, opts: { output: string }) => {
      const bytes = readGuestFile(input);
      const what = `guest ${guestNameOf(input)} (${input})`;
      readSections(bytes, what);
      const out = embedManifest(bytes, manifestPath, what);
      try {
        writeFileSync(opts.output, out);
      } catch (e) {
        throw new EmonError('E_WRITE', `cannot write ${opts.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const m = readManifest(out, opts.output);
      console.log(`wrote ${opts.output}: ${m.devices.length} device(s)${m.devices.map((d) => ` ${d.name}:${d.type}`).join('')}`);
    });
  cmd
    .command('show')
    .description('print the manifest JSON embedded in a guest')
    .argument('<guest>', 'guest .wasm')
    .action((input: string) => {
      const m = readManifest(readGuestFile(input), `guest ${guestNameOf(input)} (${input})`);
      console.log(JSON.stringify(m.raw, null, 2));
    });
}
