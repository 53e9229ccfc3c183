/**
 * Enclave transitions (issue 5's benchmark): a guest written in WAT loops inside Wasm over the real "emon".ecall
 * import of the enclave extension, through the specialised gate, into the gatetest enclave and back — the path
 * a unikernel's ECALL takes. Cases: null ECALL; ECALL with 64 B / 4 KiB / 64 KiB [in] and [in, out]; null OCALL
 * from inside an ECALL (one ECALL making n OCALLs into a Wasm guest handler, so the ECALL is amortised away);
 * enclave creation (measure + EINIT + compile + instantiate) of a 64 KiB and a 1 MiB module, without the EPC's
 * paging instrumentation (timed in bench/suites/epc.ts). The ECALL enclave is EPC-resident so that paging stays out of these figures. Beside each, the modeled
 * SGX cycles from runtime/hw/cost (ECALL/OCALL figures: Weisse et al., HotCalls, ISCA 2017, cited there).
 * Targets: null ECALL at most 3x the floor; 4 KiB [in, out] at most 1.5x of `floor+copy2x/4096` (a floor
 * crossing whose JS side makes the same two 4 KiB copies between two Wasm memories), measured in this run.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { enclaveExtension } from '../../runtime/enclave/extension.js';
import { loadEnclaveImage, openEnclave } from '../../runtime/enclave/host.js';
import { DEFAULT_CONFIG, signEnclave } from '../../runtime/enclave/signing.js';
import { EmonError } from '../../runtime/errors.js';
import { modeledCycles } from '../../runtime/hw/cost/model.js';
import { loadPlatform } from '../../runtime/hw/sgx/platform.js';
import { generateSignerKey } from '../../runtime/hw/sgx/sigstruct.js';
import { withCustomSection } from '../../runtime/hw/sgx/wasm-sections.js';
import { sgxHooks } from '../../runtime/hw/sgx/enclave.js';
import type { GuestHost } from '../../runtime/monitor/extension.js';
import { buildDir, projectRoot } from '../../runtime/paths.js';
import type { BenchCase, BenchSuite } from '../suite.js';
import { instantiateWat } from '../wat.js';
import { FLOOR_COPY_WAT, need } from '../common.js';

const FRAME = 1024;
const SCRATCH = 64 * 1024;
const BUF = 128 * 1024;
const NAME = 0; // "gatetest" at address 0
// gatetest.edl function numbers
const PING = 0, NULL_OCALLS = 11, TAKE_IN = 15, TAKE_INOUT = 16;

const GUEST_WAT = `(module
  (import "emon" "enclave_open" (func $open (param i32 i32 i32 i32 i32) (result i32)))
  (import "emon" "ecall" (func $ecall (param i32 i32 i32) (result i32)))
  (memory (export "memory") 4)
  (data (i32.const ${NAME}) "gatetest")
  (func (export "open") (result i32)
    (if (call $open (i32.const ${NAME}) (i32.const 8) (i32.const ${SCRATCH}) (i32.const ${SCRATCH}) (i32.const 16))
      (then (return (i32.const -1))))
    (i32.load (i32.const 16)))
  ;; calls ECALL fn n times and ORs the statuses
  (func (export "loop") (param $h i32) (param $fn i32) (param $n i32) (result i32)
    (local $bad i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $bad (i32.or (local.get $bad) (call $ecall (local.get $h) (local.get $fn) (i32.const ${FRAME}))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $bad))
  (func (export "ocall_tick") (param i32) (result i32) (local.get 0))
  (func (export "ocall_null"))
  (func (export "ocall_echo") (param i32 i32 i32)))`;


let sink = 0;
let hostRef: GuestHost | null = null;


export const suite: BenchSuite = {
  name: 'transitions',
  description: 'ECALL/OCALL round trips through the real gate (null, [in], [in,out] at 64 B-64 KiB), enclave creation',
  async setup() {
    const gatetest = need(path.join(buildDir, 'enclaves', 'gatetest.wasm'));
    const stateDir = mkdtempSync(path.join(tmpdir(), 'emon-bench-'));
    let exportsRef: WebAssembly.Exports | null = null;
    let memoryRef: WebAssembly.Memory | null = null;
    const host: GuestHost = {
      name: 'bench',
      // Resident in the EPC: this suite times the gate, not paging (bench/suites/epc.ts does that).
      manifest: { enclaves: [{ name: 'gatetest', epc: 'resident' }] },
      attachments: new Map([['gatetest', gatetest]]),
      options: { stateDir },
      trace: null,
      memory: () => memoryRef!,
      exports: () => exportsRef!,
      log: (m) => process.stderr.write(`bench: ${m}\n`),
      abort: (m) => {
        throw new EmonError('E_BENCH', m);
      },
    };
    hostRef = host;
    const emon = await enclaveExtension.imports(host);
    const guest = await instantiateWat('transitions-guest', GUEST_WAT, { emon });
    exportsRef = guest;
    memoryRef = guest.memory as WebAssembly.Memory;
    const handle = (guest.open as () => number)();
    if (handle < 0) throw new EmonError('E_BENCH', 'cannot open the gatetest enclave');
    const loop = guest.loop as (h: number, fn: number, n: number) => number;
    const dv = new DataView(memoryRef.buffer);
    const frame = (...slots: number[]) => slots.forEach((v, i) => dv.setUint32(FRAME + 8 * (i + 1), v, true));
    const ecall = modeledCycles('sgx', 'ecall');
    const ocall = modeledCycles('sgx', 'ocall');
    const cases: BenchCase[] = [];
    const ecallCase = (name: string, fn: number, slots: number[], extra: Partial<BenchCase> = {}): BenchCase => ({
      name,
      run(n) {
        frame(...slots);
        if (loop(handle, fn, n) !== 0) throw new EmonError('E_BENCH', `${name}: an ECALL failed`);
      },
      ...(ecall !== undefined ? { modeledCycles: { sgx: ecall } } : {}),
      ...extra,
    });
    cases.push(ecallCase('ecall/null', PING, [], { target: { against: 'floor', ratio: 3 }, params: { op: 'null', size: 0 } }));
    for (const size of [64, 4096, 65536]) {
      cases.push(ecallCase(`ecall/in/${size}`, TAKE_IN, [BUF, size], { bytes: size, params: { op: 'in', size } }));
      cases.push(
        ecallCase(`ecall/inout/${size}`, TAKE_INOUT, [BUF, size], {
          bytes: size,
          params: { op: 'inout', size },
          ...(size === 4096 ? { target: { against: 'floor+copy2x/4096', ratio: 1.5 }, baselines: ['floor+copy2x/4096', 'copy2x/4096'] } : {}),
        }),
      );
    }
    cases.push({
      name: 'ocall/null',
      run(n) {
        frame(n);
        if (loop(handle, NULL_OCALLS, 1) !== 0) throw new EmonError('E_BENCH', 'ocall/null: the ECALL failed');
      },
      ...(ocall !== undefined ? { modeledCycles: { sgx: ocall } } : {}),
      params: { op: 'ocall', size: 0 },
    });

    // Two 4 KiB copies between two distinct Wasm memories, alone and behind a floor crossing.
    const a = new Uint8Array(new WebAssembly.Memory({ initial: 1 }).buffer);
    const b = new Uint8Array(new WebAssembly.Memory({ initial: 1 }).buffer);
    const copy2x = (): number => {
      b.set(a.subarray(0, 4096), 0);
      a.set(b.subarray(0, 4096), 0);
      return a[7]!;
    };
    cases.push({ name: 'copy2x/4096', bytes: 4096, run(n) { for (let i = 0; i < n; i++) sink ^= copy2x(); } });
    const floorCopy = await instantiateWat('floor-copy2x', FLOOR_COPY_WAT, { bench: { copy2x } });
    const floorCopyLoop = floorCopy.loop as (n: number) => number;
    cases.push({ name: 'floor+copy2x/4096', bytes: 4096, run(n) { sink ^= floorCopyLoop(n); } });

    // Creation: measure (ECREATE/EADD/EEXTEND) + EINIT + compile + instantiate, for padded modules.
    const unsigned = new Uint8Array(readFileSync(need(path.join(buildDir, 'enclaves', 'gatetest.unsigned.wasm'))));
    const edl = readFileSync(path.join(projectRoot, 'enclaves', 'gatetest', 'gatetest.edl'), 'utf8');
    const key = generateSignerKey().secretKey;
    const platform = loadPlatform(stateDir);
    for (const [label, bytes] of [['64KiB', 64 * 1024], ['1MiB', 1024 * 1024]] as const) {
      const padded = withCustomSection(unsigned, 'emon.pad', new Uint8Array(Math.max(0, bytes - unsigned.length - 16)), 'gatetest');
      const file = path.join(stateDir, `gatetest-${label}.wasm`);
      const { signed } = signEnclave(padded, file, key, { ...DEFAULT_CONFIG, heapPages: 16 }, edl);
      (await import('node:fs')).writeFileSync(file, signed);
      const create = (n: number): void => {
        for (let i = 0; i < n; i++) {
          const img = loadEnclaveImage('gatetest', file, null);
          const inst = openEnclave(img, {
            guest: 'bench', platform, guestMemory: () => memoryRef!, guestExports: () => exportsRef!,
            scratch: { ptr: SCRATCH, len: SCRATCH }, trace: null, spinEcall: null, spinOcall: null, onLost: () => undefined,
          });
          sink ^= inst.ecalls.length;
        }
      };
      // The SGX life cycle alone (ECREATE/EADD/EEXTEND, EINIT, compile, instantiate), with the EPC hooks set
      // aside: the EPC's instrumentation at load belongs to bench/suites/epc.ts, and its garbage would land in
      // the samples of the other cases here (the runner interleaves them).
      cases.push({
        name: `create/${label}`,
        bytes,
        params: { op: 'create', size: bytes },
        run(n) {
          const saved = { ...sgxHooks };
          Object.assign(sgxHooks, { prepareModule: (image: Uint8Array) => image, onInstance: () => undefined, link: undefined });
          try {
            create(n);
          } finally {
            Object.assign(sgxHooks, saved);
          }
        },
      });
    }
    return cases;
  },
  async teardown() {
    if (hostRef) enclaveExtension.dispose?.(hostRef);
    hostRef = null;
  },
};
