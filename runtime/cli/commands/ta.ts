/**
 * `emon ta`: trusted applications for the TrustZone backend (docs/trustzone.md). `build DIR` compiles an
 * AssemblyScript TA (index.ts + ta.json) or a C TA (*.c + user_ta_header_defines.h, as OP-TEE's TA dev kit has
 * them), signs it and installs it as OUT/<uuid>.ta, the file the secure world finds by UUID (`--ta-dir`);
 * `inspect FILE.ta` verifies one and prints its identity and TA properties.
 */
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import path from 'node:path';
import { EmonError } from '../../errors.js';
import { readRegularFile } from '../../files.js';

export function register(program: Command): void {
  const ta = program.command('ta').description('trusted applications for --backend=tz: build, sign and inspect <uuid>.ta files');
  ta.command('build')
    .description('compile and sign the TA in DIR (AssemblyScript: index.ts + ta.json; C: *.c + user_ta_header_defines.h) into OUT/<uuid>.ta')
    .argument('<dir>', 'folder of the TA sources')
    .requiredOption('-k, --key <keyfile>', 'signer key (make one with `emon enclave keygen KEYFILE`)')
    .option('-o, --out <dir>', 'TA directory to install into (the --ta-dir of `emon run`)', 'build/ta')
    .addHelpText('after', '\nExample:\n  emon enclave keygen my.key && emon ta build enclaves/ta-hello -k my.key -o my-tas\n  emon run --backend=tz --ta-dir=my-tas build/guests/tee-hello.wasm\n')
    .action(async (dir: string, o: { key: string; out: string }) => {
      if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
        throw new EmonError('E_USAGE', `${dir} is not a folder`, { hint: 'give the folder that holds the TA sources' });
      }
      const { readSignerKey } = await import('../../enclave/signing.js');
      const { buildTa } = await import('../../build/ta.js');
      const out = await buildTa(path.resolve(dir), path.resolve(o.out), readSignerKey(o.key));
      process.stdout.write(`${path.relative(process.cwd(), out) || out}\n`);
    });
  ta.command('inspect')
    .description('verify a <uuid>.ta file and print its identity and TA properties')
    .argument('<file>', 'the .ta file')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(readRegularFile(file));
      } catch (e) {
        throw new EmonError('E_NO_FILE', `cannot read TA ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { hint: 'check the path' });
      }
      const { loadTaImage } = await import('../../hw/tz/ta-image.js');
      const { hex } = await import('../../hw/sgx/identity.js');
      const img = loadTaImage(bytes, file);
      const info = {
        uuid: img.props.uuid,
        mrenclave: hex(img.identity.mrenclave),
        mrsigner: hex(img.identity.mrsigner),
        flags: img.props.flags,
        singleInstance: img.singleInstance,
        multiSession: img.multiSession,
        keepAlive: img.keepAlive,
        stackSize: img.props.stackSize,
        dataSize: img.props.dataSize,
        memoryBytes: img.memoryPages * 65536,
        version: img.props.version,
        description: img.props.description,
        ext: img.props.ext,
      };
      if (o.json) {
        process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
        return;
      }
      for (const [k, v] of Object.entries(info)) process.stdout.write(`${k.padEnd(15)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}\n`);
    });
}
