/**
 * `emon enclave`: the enclave author's tools, after the Intel SGX SDK's sgx_sign: `keygen` makes an Ed25519
 * signer key, `sign` embeds the EDL and a SIGSTRUCT for a config (or writes the SIGSTRUCT beside the module),
 * `measure` prints MRENCLAVE like `sgx_sign dump`, `inspect` shows identity, signature and interface.
 */
import { readRegularFile } from '../../files.js';
import { InvalidArgumentError, type Command } from 'commander';
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { DEFAULT_CONFIG, readSignerKey, signEnclave, writeNewSignerKey } from '../../enclave/signing.js';
import { parseEdl } from '../../enclave/edl/parser.js';
import { describeParam } from '../../enclave/edl/gen-common.js';
import { readEdl } from '../../enclave/edl/generate.js';
import { embeddableEdl } from '../../enclave/edl/print.js';
import { typeOptions } from '../../enclave/edl/foreign-types.js';
import { EmonError } from '../../errors.js';
import { EDL_SECTION, SIGSTRUCT_SECTION } from '../../hw/sgx/enclave.js';
import { hex } from '../../hw/sgx/identity.js';
import { measure, type EnclaveConfig } from '../../hw/sgx/measurement.js';
import { decodeSigstruct, mrsignerOf, publicKeyOf, sigstructSignatureValid, type Sigstruct } from '../../hw/sgx/sigstruct.js';
import { readCustomSection, stripCustomSection } from '../../hw/sgx/wasm-sections.js';

function int(min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number ${min}..${max}`);
    return n;
  };
}

interface ConfigOpts {
  prodId?: number;
  svn?: number;
  heapPages?: number;
  threads?: number;
  debug?: boolean;
}

function withConfigOptions(c: Command): Command {
  return c
    .option('--prod-id <n>', 'ISV product id (ISVPRODID)', int(0, 0xffff))
    .option('--svn <n>', 'ISV security version number (ISVSVN)', int(0, 0xffff))
    .option('--heap-pages <n>', 'largest memory of the enclave, in 64 KiB Wasm pages', int(1, 65536))
    .option('--threads <n>', 'number of TCS (threads)', int(1, 256))
    .option('--debug', 'set the DEBUG attribute');
}

function configFrom(o: ConfigOpts, base: EnclaveConfig): EnclaveConfig {
  return {
    isvProdId: o.prodId ?? base.isvProdId,
    isvSvn: o.svn ?? base.isvSvn,
    heapPages: o.heapPages ?? base.heapPages,
    threads: o.threads ?? base.threads,
    debug: o.debug ?? base.debug,
  };
}

function readInput(file: string, what: string): Buffer {
  try {
    return readRegularFile(file);
  } catch (e) {
    throw new EmonError('E_NO_FILE', `cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { hint: 'check the path' });
  }
}

function readModule(file: string): Uint8Array {
  return new Uint8Array(readInput(file, 'enclave'));
}

function sigstructOf(bytes: Uint8Array, file: string): Sigstruct | null {
  const beside = `${file}.sig`;
  const raw = existsSync(beside) ? new Uint8Array(readInput(beside, 'SIGSTRUCT')) : readCustomSection(bytes, SIGSTRUCT_SECTION, file);
  return raw ? decodeSigstruct(raw, `${file}: SIGSTRUCT`) : null;
}

/**
 * Every file whole, or none touched: all are written to temporaries first, and a failed write removes them.
 * A destination that is a folder is refused before anything is written, since only the rename would fail.
 */
function writeAtomic(files: ReadonlyArray<readonly [string, Uint8Array]>): void {
  const written: string[] = [];
  const fail = (file: string, why: string): never => {
    for (const tmp of written) if (tmp !== '') rmSync(tmp, { force: true });
    throw new EmonError('E_WRITE', `cannot write ${file}: ${why}`, { hint: 'check that the output path names a file in an existing, writable folder' });
  };
  for (const [file] of files) if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) fail(file, 'EISDIR');
  for (const [file, bytes] of files) {
    const tmp = `${file}.tmp-${process.pid}`;
    written.push(tmp);
    try {
      writeFileSync(tmp, bytes);
    } catch (e) {
      fail(file, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
    }
  }
  files.forEach(([file], i) => {
    try {
      renameSync(written[i]!, file);
      written[i] = '';
    } catch (e) {
      fail(file, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
    }
  });
}

export function register(program: Command): void {
  const enclave = program.command('enclave').description('enclave signing and identity tools (SGX-style)');

  enclave
    .command('keygen')
    .description('create an Ed25519 enclave signer key (an existing key is kept unless --force) and print its MRSIGNER')
    .argument('<keyfile>', 'where to write the key (mode 0600)')
    .option('--force', 'replace an existing key (enclaves signed with it can no longer be re-signed under its MRSIGNER)')
    .action((keyfile: string, o: { force?: boolean }) => {
      const pub = writeNewSignerKey(keyfile, o.force === true);
      console.log(`wrote ${keyfile}\nmrsigner: ${hex(mrsignerOf(pub))}`);
    });

  withConfigOptions(
    enclave
      .command('sign')
      .description('embed the EDL and sign an enclave: SIGSTRUCT in a custom section, or beside it with --detached')
      .argument('<enclave.wasm>', 'the enclave module')
      .requiredOption('-k, --key <keyfile>', 'signer key from `emon enclave keygen`')
      .option('-o, --out <file>', 'output module (default: rewrite the input)')
      .option('--edl <file.edl>', 'EDL to embed (default: keep the one the module carries)')
      .option('--search-path <dir>', "with --edl: folder searched for the EDL's imports (repeatable)", (v: string, prev: string[]) => [...prev, v], [] as string[])
      .option('--type <NAME=SIZE>', 'with --edl: size of a type from an included C header (repeatable; embedded with the EDL; docs/edl.md)', (v: string, prev: string[]) => [...prev, v], [] as string[])
      .option('--detached', 'write the SIGSTRUCT to OUT.sig and leave it out of the module'),
  ).action((file: string, o: ConfigOpts & { key: string; out?: string; edl?: string; detached?: boolean; searchPath?: string[]; type?: string[] }) => {
    const bytes = readModule(file);
    const key = readSignerKey(o.key);
    const previous = sigstructOf(bytes, file);
    const config = configFrom(o, previous?.config ?? DEFAULT_CONFIG);
    let edl: string | undefined;
    if (o.edl !== undefined) {
      edl = readInput(o.edl, 'EDL file').toString('utf8');
      // Imports are inlined, so that the enclave alone carries its whole interface.
      edl = embeddableEdl(readEdl(o.edl, { searchPath: o.searchPath ?? [], types: typeOptions(o.type) }), edl);
    } else if (!readCustomSection(bytes, EDL_SECTION, file)) {
      throw new EmonError('E_ENCLAVE_EDL', `${file} carries no EDL`, { hint: 'pass --edl FILE.edl: the gate needs the interface, and it is part of the measurement' });
    }
    const { signed, sigstruct } = signEnclave(bytes, file, key, config, edl);
    const out = o.out ?? file;
    if (o.detached) {
      writeAtomic([
        [out, stripCustomSection(signed, SIGSTRUCT_SECTION, out)],
        [`${out}.sig`, sigstruct.bytes],
      ]);
    } else writeAtomic([[out, signed]]);
    console.log(`signed ${out}${o.detached ? ` (SIGSTRUCT in ${out}.sig)` : ''}`);
    console.log(`mrenclave: ${hex(sigstruct.enclaveHash)}\nmrsigner:  ${hex(mrsignerOf(publicKeyOf(key)))}`);
    console.log(`isvprodid: ${config.isvProdId}  isvsvn: ${config.isvSvn}  heap: ${config.heapPages} pages  threads: ${config.threads}  debug: ${config.debug}`);
  });

  withConfigOptions(
    enclave
      .command('measure')
      .description('print MRENCLAVE of a module (config from its SIGSTRUCT unless given), like `sgx_sign dump`')
      .argument('<enclave.wasm>', 'the enclave module'),
  ).action((file: string, o: ConfigOpts) => {
    const bytes = readModule(file);
    const config = configFrom(o, sigstructOf(bytes, file)?.config ?? DEFAULT_CONFIG);
    console.log(hex(measure(stripCustomSection(bytes, SIGSTRUCT_SECTION, file), config)));
  });

  enclave
    .command('inspect')
    .description('show an enclave module: identity, SIGSTRUCT and whether EINIT would accept it, EDL interface')
    .argument('<enclave.wasm>', 'the enclave module')
    .option('--json', 'print JSON')
    .action((file: string, o: { json?: boolean }) => {
      const bytes = readModule(file);
      const image = stripCustomSection(bytes, SIGSTRUCT_SECTION, file);
      const sig = sigstructOf(bytes, file);
      const edlBytes = readCustomSection(image, EDL_SECTION, file);
      const iface = edlBytes ? parseEdl(new TextDecoder().decode(edlBytes), `${file} (emon.edl)`, 'enclave') : null;
      const mrenclave = sig ? hex(measure(image, sig.config)) : null;
      const info = {
        file,
        bytes: bytes.length,
        signed: sig !== null,
        ...(sig
          ? {
              mrenclave,
              mrsigner: hex(mrsignerOf(sig.signerKey)),
              signedFor: hex(sig.enclaveHash),
              measurementMatches: mrenclave === hex(sig.enclaveHash),
              signatureValid: sigstructSignatureValid(sig),
              date: sig.date,
              ...sig.config,
            }
          : {}),
        ecalls: iface?.trusted.map((f) => `${f.isPublic ? 'public ' : ''}${f.name}(${f.params.map(describeParam).join(', ')})`) ?? [],
        ocalls: iface?.untrusted.map((f) => `${f.name}(${f.params.map(describeParam).join(', ')})`) ?? [],
      };
      if (sig && (!info.measurementMatches || !info.signatureValid)) process.exitCode = 1;
      if (o.json) {
        console.log(JSON.stringify(info, null, 2));
        return;
      }
      for (const [k, v] of Object.entries(info)) {
        if (Array.isArray(v)) {
          console.log(`${k}:`);
          for (const line of v) console.log(`  ${line}`);
        } else console.log(`${k}: ${v}`);
      }
    });
}
