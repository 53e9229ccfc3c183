/**
 * Design 1 in the storage benchmark: the storage-fs enclave's file system (enclaves/storage-fs) driven through
 * the real gate from a stand-in guest, at the durability of the other designs: every write is followed by
 * fs_fsync, whose sealed snapshot the guest appends to a log file opened O_DSYNC. One 128 KiB file (a
 * snapshot must stay under 192 KiB); 4 KiB reads and writes at random offsets. The enclave runs resident in the
 * EPC, so paging is not timed. Used by ../suites/storage.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { enclaveExtension } from '../../runtime/enclave/extension.js';
import { EmonError } from '../../runtime/errors.js';
import type { GuestHost } from '../../runtime/monitor/extension.js';
import { buildDir } from '../../runtime/paths.js';
import type { BenchCase } from '../suite.js';
import { instantiateWat } from '../wat.js';

const FRAME = 1024;
const SCRATCH = 256 * 1024;
const BUF = 8192;
const PATH = 64; // "/bench" at 64, NUL-terminated
const FILE_BYTES = 128 * 1024;
// storagefs.edl function numbers
const MOUNT = 0, OPEN = 2, READ = 4, WRITE = 5, FSYNC = 11;

const GUEST_WAT = `(module
  (import "emon" "enclave_open" (func $open (param i32 i32 i32 i32 i32) (result i32)))
  (import "emon" "ecall" (func $ecall (param i32 i32 i32) (result i32)))
  (import "log" "append" (func $append (param i32 i32) (result i32)))
  (memory (export "memory") 16)
  (data (i32.const 0) "fs")
  (data (i32.const ${PATH}) "/bench\\00")
  (func (export "open") (result i32)
    (if (call $open (i32.const 0) (i32.const 2) (i32.const ${SCRATCH}) (i32.const ${SCRATCH}) (i32.const 16))
      (then (return (i32.const -1))))
    (i32.load (i32.const 16)))
  (func (export "call") (param $h i32) (param $fn i32) (result i32)
    (call $ecall (local.get $h) (local.get $fn) (i32.const ${FRAME})))
  (func (export "ocall_log_append") (param i32 i32) (result i32) (call $append (local.get 0) (local.get 1)))
  (func (export "ocall_log_read") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "ocall_log_reset") (result i32) (i32.const 0)))`;

let hostRef: GuestHost | null = null;
let logFd: number | null = null;

/** The design 1 cases (read4k/fs, write4k/fs); `dir` is the suite's scratch folder. */
export async function fsCases(dir: string, params: (op: string, design: string, size: number) => Record<string, string>): Promise<BenchCase[]> {
  const image = path.join(buildDir, 'enclaves', 'storage-fs.wasm');
  if (!fs.existsSync(image)) throw new EmonError('E_BENCH', 'build/enclaves/storage-fs.wasm is missing', { hint: 'run `npm run build` first' });
  let memoryRef: WebAssembly.Memory | null = null;
  let exportsRef: WebAssembly.Exports | null = null;
  const host: GuestHost = {
    name: 'bench-fs',
    manifest: { enclaves: [{ name: 'fs', epc: 'resident' }] },
    attachments: new Map([['fs', image]]),
    options: { stateDir: path.join(dir, 'platform') },
    trace: null,
    memory: () => memoryRef!,
    exports: () => exportsRef!,
    log: (m) => process.stderr.write(`bench: ${m}\n`),
    abort: (m) => {
      throw new EmonError('E_BENCH', m);
    },
  };
  hostRef = host;
  const fd = fs.openSync(path.join(dir, 'fs.log'), fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_DSYNC, 0o600);
  logFd = fd;
  let logEnd = 0;
  const emon = await enclaveExtension.imports(host);
  const guest = await instantiateWat('storage-fs-guest', GUEST_WAT, {
    emon,
    log: {
      append(rec: number, len: number): number {
        fs.writeSync(fd, new Uint8Array(memoryRef!.buffer, rec, len), 0, len, logEnd);
        logEnd += len;
        return 0;
      },
    },
  });
  exportsRef = guest;
  memoryRef = guest.memory as WebAssembly.Memory;
  const h = (guest.open as () => number)();
  if (h < 0) throw new EmonError('E_BENCH', 'cannot open the storage-fs enclave');
  const call = guest.call as (h: number, fn: number) => number;
  const dv = () => new DataView(memoryRef!.buffer);
  const ecall = (fn: number, ...slots: number[]): number => {
    const v = dv();
    slots.forEach((s, i) => v.setUint32(FRAME + 8 * (i + 1), s, true));
    if (call(h, fn) !== 0) throw new EmonError('E_BENCH', `storage-fs ECALL ${fn} failed`);
    return dv().getInt32(FRAME, true);
  };
  if (ecall(MOUNT) < 0) throw new EmonError('E_BENCH', 'storage-fs mount failed');
  const file = ecall(OPEN, PATH, 1);
  if (file < 0) throw new EmonError('E_BENCH', `storage-fs open failed: ${file}`);
  for (let o = 0; o < FILE_BYTES; o += 4096) if (ecall(WRITE, file, o, BUF, 4096) !== 4096) throw new EmonError('E_BENCH', 'storage-fs write failed');
  if (ecall(FSYNC) !== 0) throw new EmonError('E_BENCH', 'storage-fs fsync failed');
  let x = 0x2545f491;
  const offset = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) % (FILE_BYTES / 4096)) * 4096;
  };
  return [
    {
      name: 'read4k/fs',
      bytes: 4096,
      params: params('read', 'fs', 4096),
      baselines: ['read4k/plain'],
      run(n) {
        for (let i = 0; i < n; i++) if (ecall(READ, file, offset(), BUF, 4096) !== 4096) throw new EmonError('E_BENCH', 'read4k/fs: short read');
      },
    },
    {
      name: 'write4k/fs',
      bytes: 4096,
      params: params('write', 'fs', 4096),
      baselines: ['write4k/plain'],
      run(n) {
        for (let i = 0; i < n; i++) {
          if (ecall(WRITE, file, offset(), BUF, 4096) !== 4096) throw new EmonError('E_BENCH', 'write4k/fs: short write');
          if (ecall(FSYNC) !== 0) throw new EmonError('E_BENCH', 'write4k/fs: fsync failed');
          if (logEnd > 64 << 20) logEnd = 0; // keep the log file bounded: the enclave never reads it back here
        }
      },
    },
  ];
}

export function fsTeardown(): void {
  if (hostRef) enclaveExtension.dispose?.(hostRef);
  hostRef = null;
  if (logFd !== null) fs.closeSync(logFd);
  logFd = null;
}
