/**
 * The TrustZone backend (issue 14's benchmark), in one process beside the SGX backend:
 * - GP InvokeCommand round trips from a WAT guest over the real "teec" imports into the hello-world TA: null,
 *   and one 64 B / 4 KiB memref in and out (TEEC_MEMREF_TEMP_INOUT, changed in place by the TA);
 * - the same EDL function (gatetest's ping and take_inout) as an ECALL on --backend=sgx and as a TA command on
 *   --backend=tz (an InvokeCommand of the enclave's TA session, whose TA entry is the gate's bridge), through the
 *   same gate and the same guest loop, so the two backends plot side by side; and enclave_open + enclave_close of
 *   it on each (TZ: OpenSession and CloseSession of a new TA instance);
 * - TA session open (instance + TA_CreateEntryPoint + TA_OpenSessionEntryPoint, then close) and TA load
 *   (signature check, measurement and compile of a <uuid>.ta);
 * - integrity-check time per MiB of guest memory (the integrity TA hashing normal-world memory from the secure
 *   world), when the integrity TA is built, and what the integrity checks between exits cost a computing guest
 *   (the same loop as loaded and as `emon run` rewrites it for integrity monitoring).
 * Targets: null invoke at most 3x the floor; a 4 KiB memref in and out at most 1.5x of `floor+copy2x/4096`.
 * Modeled cycles beside each: runtime/hw/cost (OP-TEE figures, Amacher & Schiavoni, DAIS 2019).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadEnclaveImage, openEnclave, type OpenEnclave } from '../../runtime/enclave/host.js';
import { teecExtension } from '../../runtime/enclave/teec.js';
import { EmonError } from '../../runtime/errors.js';
import { modeledCycles } from '../../runtime/hw/cost/model.js';
import { sgxBackend } from '../../runtime/hw/sgx/backend.js';
import { tzBackend } from '../../runtime/hw/tz/backend.js';
import { loadTaImage } from '../../runtime/hw/tz/ta-image.js';
import { Carveout } from '../../runtime/hw/tz/carveout.js';
import { INTEGRITY_TA, IntegrityMonitor } from '../../runtime/hw/tz/integrity.js';
import { SecureWorld } from '../../runtime/hw/tz/secure-world.js';
import { uuidToStruct } from '../../runtime/hw/tz/uuid.js';
import type { GuestHost } from '../../runtime/monitor/extension.js';
import { buildDir, projectRoot } from '../../runtime/paths.js';
import type { BenchCase, BenchSuite } from '../suite.js';
import { instantiateWat, watToWasm } from '../wat.js';
import { withIntegrityTicks } from '../../runtime/monitor/asyncify.js';
import { FLOOR_COPY_WAT, need } from '../common.js';

const HELLO = '8aaaf200-2450-11e4-abe2-0002a5d5c51b';
const CMD_NULL = 4, CMD_TOUCH = 10;
const PING = 0, TAKE_INOUT = 16; // gatetest.edl function numbers
const UUID_AT = 64, SESSION = 100, ORIGIN = 104, OP = 128, FRAME = 1024, SCRATCH = 64 * 1024, BUF = 128 * 1024;

const GUEST_WAT = `(module
  (import "teec" "initialize_context" (func $init (param i32 i32) (result i32)))
  (import "teec" "open_session" (func $open (param i32 i32 i32 i32 i32) (result i32)))
  (import "teec" "invoke_command" (func $invoke (param i32 i32 i32 i32) (result i32)))
  (import "teec" "close_session" (func $close (param i32)))
  (import "emon" "ecall" (func $ecall (param i32 i32 i32) (result i32)))
  (memory (export "memory") 4)
  (func (export "init") (result i32) (call $init (i32.const 0) (i32.const 0)))
  (func (export "open") (param $op i32) (result i32) (call $open (i32.const ${UUID_AT}) (i32.const 0) (local.get $op) (i32.const ${SESSION}) (i32.const ${ORIGIN})))
  (func (export "close") (call $close (i32.load (i32.const ${SESSION}))))
  ;; opens and closes a session n times
  (func (export "sessions") (param $n i32) (result i32)
    (local $bad i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $bad (i32.or (local.get $bad) (call $open (i32.const ${UUID_AT}) (i32.const 0) (i32.const 0) (i32.const ${SESSION + 8}) (i32.const ${ORIGIN}))))
      (call $close (i32.load (i32.const ${SESSION + 8})))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $bad))
  ;; TEEC_InvokeCommand(session, cmd, op) n times; ORs the results
  (func (export "invoke") (param $cmd i32) (param $op i32) (param $n i32) (result i32)
    (local $bad i32) (local $s i32)
    (local.set $s (i32.load (i32.const ${SESSION})))
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $bad (i32.or (local.get $bad) (call $invoke (local.get $s) (local.get $cmd) (local.get $op) (i32.const 0))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $bad))
  ;; ECALL fn n times (enclave handle 0); ORs the statuses
  (func (export "ecalls") (param $fn i32) (param $n i32) (result i32)
    (local $bad i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $bad (i32.or (local.get $bad) (call $ecall (i32.const 0) (local.get $fn) (i32.const ${FRAME}))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $bad))
  (func (export "ocall_tick") (param i32) (result i32) (local.get 0))
  (func (export "ocall_null"))
  (func (export "ocall_echo") (param i32 i32 i32)))`;


/** A compute loop: n trips of a multiply-add over memory (no calls, no exits). */
const INTEGRITY_LOOP_WAT = `(module
  (memory 1)
  (func (export "spin") (param $n i32) (result i32)
    (local $acc i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (i32.load (i32.and (i32.shl (local.get $n) (i32.const 2)) (i32.const 4092)))))
      (i32.store (i32.and (i32.shl (local.get $n) (i32.const 2)) (i32.const 4092)) (local.get $acc))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $acc)))`;

let sink = 0;
const teardowns: Array<() => void> = [];


type Guest = WebAssembly.Exports & { memory: WebAssembly.Memory };

export const suite: BenchSuite = {
  name: 'tz',
  description: 'TrustZone: GP InvokeCommand (null, 64 B / 4 KiB memrefs), the same EDL ECALL on sgx and tz, session open, TA load, integrity check per MiB',
  async setup(ctx) {
    const taDir = path.join(buildDir, 'ta');
    need(path.join(taDir, `${HELLO}.ta`));
    const gatetest = need(path.join(buildDir, 'enclaves', 'gatetest.wasm'));
    const stateDir = mkdtempSync(path.join(tmpdir(), 'emon-bench-tz-'));
    const cases: BenchCase[] = [];
    const tzInvoke = modeledCycles('tz', 'ta_invoke');
    const sgxEcall = modeledCycles('sgx', 'ecall');

    /** One guest per backend: its own memory, its "teec" imports and one EDL enclave opened through the gate. */
    async function guestOn(backend: 'sgx' | 'tz'): Promise<{ g: Guest; enc: OpenEnclave; reopen: () => OpenEnclave }> {
      let g: Guest | null = null;
      const host: GuestHost = {
        name: `bench-${backend}`,
        manifest: {},
        attachments: new Map(),
        options: { backend, taDir, stateDir, emulateCost: ctx.emulateCost === true },
        trace: null,
        memory: () => g!.memory,
        exports: () => g!,
        // The TA's own info lines (one per session) would drown the progress display.
        log: (m) => (m.includes('/TA: ') ? undefined : void process.stderr.write(`bench: ${m}\n`)),
        abort: (m) => {
          throw new EmonError('E_BENCH', m);
        },
      };
      const teec = await teecExtension.imports(host);
      teardowns.push(() => teecExtension.dispose?.(host));
      const b = backend === 'tz' ? tzBackend : sgxBackend;
      if (backend === 'tz') teardowns.push(b.attachGuest({ ...host, trace: null }));
      const img = loadEnclaveImage('gatetest', gatetest, null, b);
      let enc: OpenEnclave | null = null;
      const ecall = (_h: number, fn: number, frame: number): number => enc!.ecalls[fn]!(frame);
      g = (await instantiateWat(`tz-guest-${backend}`, GUEST_WAT, { teec, emon: { ecall } })) as Guest;
      const opts = {
        guest: host.name,
        platform: b.platform(stateDir),
        guestMemory: () => g!.memory,
        guestExports: () => g!,
        scratch: { ptr: SCRATCH, len: SCRATCH },
        trace: null,
        spinEcall: null,
        spinOcall: null,
        onLost: (r: string) => process.stderr.write(`bench: lost ${r}\n`),
      };
      enc = openEnclave(img, opts);
      teardowns.push(() => enc!.close());
      // Opened and closed from an image of its own: its gate and TA commands are compiled apart from the ones the
      // ECALL cases time, so thousands of short-lived instances do not turn their call sites polymorphic.
      const churn = loadEnclaveImage('gatetest', gatetest, null, b);
      return { g, enc, reopen: () => openEnclave(churn, opts) };
    }

    const sgx = await guestOn('sgx');
    const tz = await guestOn('tz');
    const g = tz.g;
    new Uint8Array(g.memory.buffer).set(uuidToStruct(HELLO), UUID_AT);
    if ((g.init as () => number)() !== 0) throw new EmonError('E_BENCH', 'TEEC_InitializeContext failed');
    const open = (g.open as (op: number) => number)(0);
    if (open !== 0) throw new EmonError('E_BENCH', `TEEC_OpenSession failed: 0x${(open >>> 0).toString(16)}`);
    teardowns.push(() => (g.close as () => void)());
    const invoke = g.invoke as (cmd: number, op: number, n: number) => number;
    const dv = new DataView(g.memory.buffer);
    const op = (size: number): void => {
      new Uint8Array(g.memory.buffer).fill(0, OP, OP + 60);
      dv.setUint32(OP + 4, 0x7, true); // TEEC_PARAM_TYPES(MEMREF_TEMP_INOUT, NONE, NONE, NONE)
      dv.setUint32(OP + 8, BUF, true);
      dv.setUint32(OP + 12, size, true);
    };
    const tzModel = tzInvoke !== undefined ? { modeledCycles: { tz: tzInvoke } } : {};
    cases.push({
      name: 'invoke/null',
      run(n) {
        if (invoke(CMD_NULL, 0, n) !== 0) throw new EmonError('E_BENCH', 'invoke/null failed');
      },
      target: { against: 'floor', ratio: 3 },
      params: { backend: 'tz', op: 'invoke', size: 0 },
      ...tzModel,
    });
    for (const size of [64, 4096]) {
      cases.push({
        name: `invoke/memref-inout/${size}`,
        bytes: size,
        run(n) {
          op(size);
          if (invoke(CMD_TOUCH, OP, n) !== 0) throw new EmonError('E_BENCH', `invoke/memref-inout/${size} failed`);
        },
        params: { backend: 'tz', op: 'invoke', size },
        ...tzModel,
        ...(size === 4096 ? { target: { against: 'floor+copy2x/4096', ratio: 1.5 }, baselines: ['floor+copy2x/4096', 'ecall/sgx/inout/4096'] } : {}),
      });
    }

    // The same EDL function on both backends, same guest loop, same gate.
    for (const [name, side] of [['sgx', sgx], ['tz', tz]] as const) {
      const ecalls = side.g.ecalls as (fn: number, n: number) => number;
      const fdv = new DataView(side.g.memory.buffer);
      const model = name === 'sgx' ? (sgxEcall !== undefined ? { modeledCycles: { sgx: sgxEcall } } : {}) : tzModel;
      cases.push({
        name: `ecall/${name}/null`,
        run(n) {
          if (ecalls(PING, n) !== 0) throw new EmonError('E_BENCH', `ecall/${name}/null failed`);
        },
        params: { backend: name, op: 'ecall', size: 0 },
        ...(name === 'tz' ? { baselines: ['ecall/sgx/null'] } : {}),
        ...model,
      });
      for (const size of [64, 4096]) {
        cases.push({
          name: `ecall/${name}/inout/${size}`,
          bytes: size,
          run(n) {
            fdv.setUint32(FRAME + 8, BUF, true);
            fdv.setUint32(FRAME + 16, size, true);
            if (ecalls(TAKE_INOUT, n) !== 0) throw new EmonError('E_BENCH', `ecall/${name}/inout/${size} failed`);
          },
          params: { backend: name, op: 'ecall', size },
          ...(name === 'tz' ? { baselines: [`ecall/sgx/inout/${size}`] } : {}),
          ...model,
        });
      }
    }

    // enclave_open + enclave_close of the same EDL enclave: a new enclave instance on SGX; on TZ an OpenSession on
    // a new instance of the enclave run as a TA (carve-out pages, instantiation, the gate wired as its commands).
    for (const [name, side] of [['sgx', sgx], ['tz', tz]] as const) {
      cases.push({
        name: `enclave/${name}/open-close`,
        run(n) {
          for (let i = 0; i < n; i++) side.reopen().close();
        },
        params: { backend: name, op: 'open' },
        ...(name === 'tz' ? { baselines: ['enclave/sgx/open-close'] } : {}),
      });
    }

    // Two 4 KiB copies between two distinct Wasm memories, alone and behind a floor crossing.
    const a = new Uint8Array(new WebAssembly.Memory({ initial: 1 }).buffer);
    const b = new Uint8Array(new WebAssembly.Memory({ initial: 1 }).buffer);
    const copy2x = (): number => {
      b.set(a.subarray(0, 4096), 0);
      a.set(b.subarray(0, 4096), 0);
      return a[7]!;
    };
    const floorCopy = await instantiateWat('tz-floor-copy2x', FLOOR_COPY_WAT, { bench: { copy2x } });
    const floorCopyLoop = floorCopy.loop as (n: number) => number;
    cases.push({ name: 'floor+copy2x/4096', bytes: 4096, run(n) { sink ^= floorCopyLoop(n); } });

    // Session open + close (a multi-instance TA: a new instance and TA_CreateEntryPoint each time).
    const sessions = g.sessions as (n: number) => number;
    cases.push({
      name: 'session/open-close',
      run(n) {
        if (sessions(n) !== 0) throw new EmonError('E_BENCH', 'session/open-close failed');
      },
      params: { backend: 'tz', op: 'session' },
      ...(modeledCycles('tz', 'smc') !== undefined ? { modeledCycles: { tz: 2 * modeledCycles('tz', 'smc')! } } : {}),
    });
    // TA load: the signature check, measurement and compile the secure world does at a TA's first session.
    const taBytes = new Uint8Array(readFileSync(path.join(taDir, `${HELLO}.ta`)));
    cases.push({
      name: 'ta/load',
      bytes: taBytes.length,
      run(n) {
        for (let i = 0; i < n; i++) sink ^= loadTaImage(taBytes, `${HELLO}.ta`).memoryPages;
      },
      params: { backend: 'tz', op: 'load', size: taBytes.length },
    });

    // Runtime integrity monitoring: one check of 1 MiB of guest memory by the integrity TA, from the secure world.
    const integrityTa = need(path.join(taDir, `${INTEGRITY_TA}.ta`));
    const guestMem = new WebAssembly.Memory({ initial: 32 });
    let mon: IntegrityMonitor | null = null;
    const world = new SecureWorld({
      taDir: null,
      builtin: new Map([[INTEGRITY_TA, integrityTa]]),
      carveout: Carveout.create(16 * 1024 * 1024),
      client: 'bench-integrity',
      log: () => undefined,
      trace: null,
      spin: null,
      normalWorld: () => guestMem,
      onIntegrityAlert: (c, d) => mon?.alert(c, d),
    });
    mon = new IntegrityMonitor(world, { ranges: [[65536, 1 << 20]], segments: 'none', tables: false, periodMs: 1000, policy: 'log' }, () => ({}), () => {
      throw new EmonError('E_BENCH', 'integrity: an alert on unchanged memory');
    }, null, 'bench');
    mon.arm();
    teardowns.push(() => world.shutdown());
    cases.push({
      name: 'integrity/check/1MiB',
      bytes: 1 << 20,
      run(n) {
        for (let i = 0; i < n; i++) mon!.check();
      },
      params: { backend: 'tz', op: 'integrity', size: 1 << 20 },
    });

    // What turning integrity monitoring on costs a guest that computes: the same loop as loaded, and rewritten
    // with the integrity checks (`emon run` rewrites only guests whose manifest has "integrity"), the tick served
    // as teec serves it (a clock read; a check only when the period, here 1 s, has passed). Per loop trip.
    const loopBytes = await watToWasm('tz-integrity-loop', INTEGRITY_LOOP_WAT);
    const plainLoop = new WebAssembly.Instance(new WebAssembly.Module(loopBytes)).exports.spin as (n: number) => number;
    const tickedLoop = new WebAssembly.Instance(new WebAssembly.Module(withIntegrityTicks(loopBytes, 'the integrity bench loop') as BufferSource), {
      teec: { integrity_tick: () => mon!.tick(performance.now()) },
    }).exports.spin as (n: number) => number;
    cases.push({ name: 'integrity/loop/off', run(n) { sink ^= plainLoop(n); }, params: { backend: 'tz', op: 'integrity-loop' } });
    cases.push({ name: 'integrity/loop/on', run(n) { sink ^= tickedLoop(n); }, params: { backend: 'tz', op: 'integrity-loop' }, baselines: ['integrity/loop/off'] });
    return cases;
  },
  async teardown() {
    for (const t of teardowns.splice(0).reverse()) t();
  },
};
