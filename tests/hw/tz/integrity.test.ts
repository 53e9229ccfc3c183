/**
 * Runtime integrity monitoring of the guest from the secure world (runtime/hw/tz/integrity.ts and the integrity
 * TA): an adversarial monitor patches guest memory that must not change, or swaps a function-table entry, while
 * the guest runs; the alert fires at the first periodic check after the patch (within one period), under each
 * policy; ordinary guest writes never raise one; the guest can also ask for a check on demand through GP, but
 * cannot reset the reference or close the secure world's session. The reference is the module's: its hash and
 * its `.rodata` segment's bytes (runtime/monitor/loader.ts measureGuest); the guest is rewritten as `emon run`
 * rewrites it (withIntegrityTicks), so a guest that never exits is checked too; the TA's report feeds the
 * guest's PSA software components.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import wabtInit from 'wabt';
import { describe, expect, it } from 'vitest';
import { enclaveExtension } from '../../../runtime/enclave/extension.js';
import { teecExtension } from '../../../runtime/enclave/teec.js';
import { isEmonError } from '../../../runtime/errors.js';
import * as gp from '../../../runtime/hw/tz/gp.js';
import { INTEGRITY_TA, IntegrityMonitor, integrityClaims, integrityComponents, segmentRanges, type IntegrityAlert } from '../../../runtime/hw/tz/integrity.js';
import { psaIssuer } from '../../../runtime/hw/psa/token.js';
import { attachBoard, connectNormalWorld } from '../../../runtime/hw/tz/board.js';
import { loadPlatform } from '../../../runtime/hw/sgx/platform.js';
import { LIFECYCLE } from '../../../runtime/hw/psa/claims.js';
import { parsePsaToken, psaSignatureValid } from '../../../runtime/attest/psa/token.js';
import { INTEGRITY_TICK, withIntegrityTicks } from '../../../runtime/monitor/asyncify.js';
import { compileGuest, loadGuest, measureGuest } from '../../../runtime/monitor/loader.js';
import { dataSegments, withCustomSection } from '../../../runtime/monitor/wasmbin.js';
import { CaptureConsole } from '../../../runtime/monitor/console.js';
import type { GuestHost, MonitorExtension } from '../../../runtime/monitor/extension.js';
import { GuestRunner } from '../../../runtime/monitor/guest.js';
import { buildDir } from '../../../runtime/paths.js';
import { MemoryTraceSink } from '../../../runtime/trace/sink.js';
import { NormalWorld, OP, secureWorld, tempDir } from './world.js';
import { emon } from '../../cli/helpers.js';

const RO = 4096; // the guest's constant table (its .rodata segment): 256 bytes that must not change
const RW = 8192; // its initialised writable data (.data), which it writes
const GUEST_WAT = `(module
  (import "solo5" "yield" (func $yield (param i64 i32)))
  (import "solo5" "clock_monotonic" (func $now (result i64)))
  (import "attack" "tick" (func $tick (param i32)))
  (memory (export "memory") 4)
  (data $.rodata (i32.const ${RO}) "${'\\2a'.repeat(256)}")
  (data $.data (i32.const ${RW}) "${'\\01'.repeat(64)}")
  (table (export "tbl") 2 funcref)
  (elem (i32.const 0) $f $g)
  (type $t (func (result i32)))
  (func $f (result i32) (i32.const 1))
  (func $g (result i32) (i32.const 2))
  (func (export "solo5_app_main") (param i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.const 400)))
      ;; ordinary writes all over the heap, reads of the constant table, an indirect call
      (i32.store (i32.add (i32.const 65536) (i32.mul (i32.and (local.get $i) (i32.const 4095)) (i32.const 4))) (local.get $i))
      (i32.store8 (i32.add (i32.const ${RW}) (i32.and (local.get $i) (i32.const 63))) (local.get $i))
      (local.set $acc (i32.add (local.get $acc) (i32.load8_u (i32.add (i32.const ${RO}) (i32.and (local.get $i) (i32.const 255))))))
      (local.set $acc (i32.add (local.get $acc) (call_indirect (type $t) (i32.and (local.get $i) (i32.const 1)))))
      (call $tick (local.get $i))
      (call $yield (i64.add (call $now) (i64.const 200000)) (i32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.const 0)))`;

async function wasm(wat: string): Promise<Uint8Array> {
  const mod = (await wabtInit()).parseWat('integrity.wat', wat);
  try {
    return new Uint8Array(mod.toBinary({ write_debug_names: true }).buffer);
  } finally {
    mod.destroy();
  }
}

/** The module and measurement `emon run` gives a guest whose manifest asks for integrity (runtime/monitor/supervisor.ts). */
function asLoaded(bytes: Uint8Array) {
  return { module: compileGuest(withIntegrityTicks(bytes, 'test guest'), 'test guest'), measurement: measureGuest(bytes, 'test guest') };
}

type Attack = (i: number, memory: WebAssembly.Memory, exports: WebAssembly.Exports, checksSoFar: number) => void;

/** A patch the adversarial monitor makes once the guest is loaded, before its code runs (i = -1), or never. */
async function run(integrity: Record<string, unknown>, attack: Attack | null, backend = 'tz', early: Attack | null = null, wat = GUEST_WAT, measured = true) {
  const loaded = asLoaded(await wasm(wat));
  const trace = new MemoryTraceSink();
  const log: string[] = [];
  let patchedAfter = -1;
  const checks = () => trace.events.filter((e) => e.name === 'integrity check').length;
  // The adversarial monitor: an extension of the untrusted side that writes into the guest when it likes.
  const adversary: MonitorExtension = {
    importModule: 'attack',
    imports: (host: GuestHost) => ({
      /** The guest says it patched itself (no hypercall: the secure world's check is not run by this import). */
      mark: () => {
        patchedAfter = checks();
      },
      tick: (i: number) => {
        if (attack === null) return;
        const before = checks();
        attack(i, host.memory(), host.exports(), before);
        if (patchedAfter < 0 && i === 150) patchedAfter = before;
      },
    }),
    started: (host: GuestHost) => early?.(-1, host.memory(), host.exports(), checks()),
  };
  const runner = await GuestRunner.create({
    name: 'watched',
    module: loaded.module,
    ...(measured ? { measurement: loaded.measurement } : {}),
    manifest: { devices: [], raw: { type: 'solo5.manifest', version: 1, devices: [], integrity } } as never,
    options: { backend, taDir: path.join(buildDir, 'ta') },
    console: new CaptureConsole(),
    extensions: [enclaveExtension, teecExtension, adversary],
    trace,
    log: (l) => log.push(l),
  });
  try {
    const result = runner.boot();
    const alerts = trace.events.filter((e) => e.name === 'integrity alert');
    return { result, log, alerts, checks: checks(), patchedAfter };
  } finally {
    runner.close();
  }
}

const patchByte: Attack = (i, memory) => {
  if (i === 150) new Uint8Array(memory.buffer)[RO + 77] ^= 0x01;
};

describe('runtime integrity monitoring', () => {
  it('the reference comes from the module: its .rodata segment is watched, not its .data', () => {
    return wasm(GUEST_WAT).then((bytes) => {
      const m = measureGuest(bytes, 'g');
      expect(m.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(segmentRanges(m.dataSegments, 'readonly')).toEqual([{ at: RO, length: 256, sha256: createHash('sha256').update(new Uint8Array(256).fill(0x2a)).digest('hex') }]);
      expect(segmentRanges(m.dataSegments, 'all').map((r) => [r.at, r.length])).toEqual([[RO, 256], [RW, 64]]);
      expect(segmentRanges(m.dataSegments, 'none')).toEqual([]);
    });
  });

  it('ordinary guest writes (heap and its .data segment) never raise an alert', async () => {
    const { result, alerts, checks, log } = await run({ period_ms: 1, policy: 'stop' }, null);
    expect(result.status, log.join('\n')).toBe(0);
    expect(checks).toBeGreaterThan(3);
    expect(alerts).toEqual([]);
  });

  it('a patched read-only byte raises the alert at the first check after the patch (policy log: the guest runs on)', async () => {
    const { result, alerts, log, patchedAfter } = await run({ ranges: [[64, 16]], period_ms: 1, policy: 'log' }, patchByte);
    expect(result.status).toBe(0);
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts[0]!.args?.['check']).toBe(patchedAfter + 1);
    expect(String(alerts[0]!.args?.['detail'])).toBe(`range #0 [${RO}, +256) changed since boot`);
    expect(log.join('\n')).toMatch(/runtime integrity alert \(check \d+\): range #0 \[4096, \+256\) changed since boot/);
  });

  it('a patch made after the guest is loaded and before its first exit raises the alert at the first check', async () => {
    const early: Attack = (_i, memory) => void (new Uint8Array(memory.buffer)[RO + 3] ^= 0x80);
    const { result, alerts, checks } = await run({ period_ms: 1, policy: 'log' }, null, 'tz', early);
    expect(result.status).toBe(0);
    expect(checks).toBeGreaterThan(1);
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts[0]!.args?.['check']).toBe(1);
    expect(String(alerts[0]!.args?.['detail'])).toBe(`range #0 [${RO}, +256) changed since boot`);
  });

  it('policy stop ends the guest (status 255) with the reason', async () => {
    const { result, alerts, patchedAfter } = await run({ period_ms: 1, policy: 'stop' }, patchByte);
    expect(result.status).toBe(255);
    expect(result.message).toMatch(/runtime integrity: range #0 \[4096, \+256\) changed since boot; the guest is stopped/);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.args?.['check']).toBe(patchedAfter + 1);
  });

  it('a swapped function-table entry raises the alert (policy attest keeps it)', async () => {
    const swap: Attack = (i, _m, ex) => {
      if (i === 150) {
        const t = ex['tbl'] as WebAssembly.Table;
        t.set(0, t.get(1));
      }
    };
    const { result, alerts, log } = await run({ segments: 'none', ranges: [], tables: true, period_ms: 1, policy: 'attest' }, swap);
    expect(result.status).toBe(0);
    expect(alerts[0]!.args?.['detail']).toBe('function table entry 0 changed since boot');
    expect(log.join('\n')).toContain('(kept for attestation)');
  });

  it('bad integrity settings are refused before the guest starts; it needs --backend=tz', async () => {
    for (const [cfg, re] of [
      [{ ranges: [[1, 0]] }, /range #0 must be/],
      [{ ranges: [[RO, 16]], policy: 'ignore' }, /"policy" must be/],
      [{ segments: 'none', ranges: [], tables: false }, /nothing to watch/],
      [{ segments: 'rodata' }, /"segments" must be/],
      [{ ranges: [[RO, 16]], period_ms: 0 }, /"period_ms"/],
    ] as const) {
      await run(cfg as Record<string, unknown>, null).then(
        () => expect.unreachable(),
        (e: unknown) => {
          expect(isEmonError(e, 'E_MANIFEST'), String(e)).toBe(true);
          expect((e as Error).message).toMatch(re);
        },
      );
    }
    await run({ ranges: [[RO, 16]] }, null, 'sgx').then(
      () => expect.unreachable(),
      (e: unknown) => expect(isEmonError(e, 'E_BACKEND')).toBe(true),
    );
    // A range outside the guest's memory stops the guest at its first exit, with the reason.
    const far = await run({ ranges: [[0x7fff0000, 16]] }, null);
    expect(far.result.status).toBe(255);
    expect(far.result.message).toMatch(/cannot take its reference/);
  });
});

/** A guest that never exits: it spins, patches its own .rodata once (telling the adversary import, no hypercall), spins on. */
const SPIN_WAT = `(module
  (import "attack" "mark" (func $mark))
  (memory (export "memory") 2)
  (data $.rodata (i32.const ${RO}) "${'\\2a'.repeat(256)}")
  (func (export "solo5_app_main") (param i32) (result i32)
    (local $i i32)
    (loop $spin
      (if (i32.eq (local.get $i) (i32.const 3000000))
        (then (i32.store8 (i32.const ${RO + 77}) (i32.const 0x55)) (call $mark)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $spin (i32.lt_u (local.get $i) (i32.const 2000000000))))
    (i32.const 0)))`;

/** SPIN_WAT laid out as `emon cc` (wasm-ld --shared-memory) lays out C: passive segments that the start function copies in. */
const SPIN_PASSIVE_WAT = SPIN_WAT
  .replace(`(data $.rodata (i32.const ${RO})`, '(data $.rodata')
  .replace('(memory (export "memory") 2)', `(memory (export "memory") 2)
  (data $.data "${'\\07'.repeat(32)}")
  (func $init_memory
    (memory.init $.rodata (i32.const ${RO}) (i32.const 0) (i32.const 256))
    (memory.init $.data (i32.const ${RW}) (i32.const 0) (i32.const 32))
    (data.drop $.rodata) (data.drop $.data))
  (start $init_memory)`);

describe('integrity checks between exits', () => {
  it('a guest that never exits and patches its own read-only data is caught at the first check after the patch', async () => {
    const { result, alerts, checks, patchedAfter } = await run({ period_ms: 1, policy: 'stop' }, null, 'tz', null, SPIN_WAT);
    expect(result.status, result.message).toBe(255);
    expect(result.message).toMatch(/runtime integrity: range #0 \[4096, \+256\) changed since boot; the guest is stopped/);
    expect(patchedAfter).toBeGreaterThanOrEqual(0);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.args?.['check']).toBe(patchedAfter + 1);
    expect(checks).toBe(patchedAfter + 1);
  });

  it('passive segments that the start function copies in (a C guest\'s layout) are found and watched', async () => {
    const bytes = await wasm(SPIN_PASSIVE_WAT);
    const m = measureGuest(bytes, 'c');
    expect(m.dataSegments.map((d) => [d.name, d.active, d.offset, d.length])).toEqual([['.data', false, RW, 32], ['.rodata', false, RO, 256]]);
    expect(segmentRanges(m.dataSegments, 'readonly').map((r) => [r.at, r.length])).toEqual([[RO, 256]]);
    const { result, alerts, patchedAfter } = await run({ period_ms: 1, policy: 'stop' }, null, 'tz', null, SPIN_PASSIVE_WAT);
    expect(result.status, result.message).toBe(255);
    expect(alerts[0]!.args?.['check']).toBe(patchedAfter + 1);
  });

  it('reading the segments of a corrupted module gives the segments or E_BAD_WASM, never another exception', async () => {
    const good = await wasm(SPIN_PASSIVE_WAT);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(good.length), (edits, cut) => {
        const b = good.slice(0, Math.max(8, cut));
        for (const [at, v] of edits) if (at < b.length) b[at] = v;
        try {
          for (const d of dataSegments(b, 'fuzzed')) expect(d.at + d.length).toBeLessThanOrEqual(b.length);
        } catch (e) {
          expect(isEmonError(e, 'E_BAD_WASM'), String(e)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the rewrite calls teec.integrity_tick; a guest whose manifest does not ask for integrity is neither measured nor rewritten', async () => {
    const bytes = await wasm(GUEST_WAT);
    const imports = (b: Uint8Array) => WebAssembly.Module.imports(new WebAssembly.Module(b as BufferSource)).map((i) => `${i.module}.${i.name}`);
    expect(imports(withIntegrityTicks(bytes, 'g'))).toContain(`${INTEGRITY_TICK.module}.${INTEGRITY_TICK.name}`);
    const dir = tempDir();
    const file = (name: string, manifest: Record<string, unknown>): string => {
      const f = path.join(dir, `${name}.wasm`);
      writeFileSync(f, withCustomSection(bytes, 'solo5.manifest', new TextEncoder().encode(JSON.stringify({ type: 'solo5.manifest', version: 1, devices: [], ...manifest })), name));
      return f;
    };
    const plain = loadGuest(file('plain', {}));
    expect(plain.measurement).toBeUndefined();
    expect(WebAssembly.Module.imports(plain.module).some((i) => i.name === INTEGRITY_TICK.name)).toBe(false);
    const watchedFile = file('watched', { integrity: { policy: 'log' } });
    const watched = loadGuest(watchedFile);
    expect(watched.measurement?.sha256).toBe(measureGuest(new Uint8Array(await import('node:fs').then((fs) => fs.readFileSync(watchedFile))), 'g').sha256);
    expect(watched.measurement?.dataSegments.find((d) => d.name === '.rodata')?.offset).toBe(RO);
  });

  it('emon run: a spinning guest that patches its own .rodata is stopped (the supervisor measures and rewrites it)', async () => {
    const spin = (await wasm(SPIN_WAT.replace('(import "attack" "mark" (func $mark))', '(func $mark)'))).slice();
    const f = path.join(tempDir(), 'spin.wasm');
    writeFileSync(f, withCustomSection(spin, 'solo5.manifest', new TextEncoder().encode(JSON.stringify({ type: 'solo5.manifest', version: 1, devices: [], integrity: { period_ms: 1, policy: 'stop' } })), 'spin'));
    const r = emon(['run', '--backend=tz', '--timeout=60', f], { timeoutMs: 90000 });
    expect(r.status, r.stderr).toBe(255);
    expect(r.stderr).toMatch(/runtime integrity: range #0 \[4096, \+256\) changed since boot; the guest is stopped/);
  });

  it('without the loader\'s measurement the guest is refused with E_INTEGRITY', async () => {
    await run({ period_ms: 1 }, null, 'tz', null, GUEST_WAT, false).then(
      () => expect.unreachable(),
      (e: unknown) => expect(isEmonError(e, 'E_INTEGRITY'), String(e)).toBe(true),
    );
  });
});

describe('integrity status in attestation', () => {
  it('the TA\'s report (module measurement, checks, alerts) becomes the guest\'s PSA software components, which the verifier reads', () => {
    const nw = new NormalWorld();
    let mon: IntegrityMonitor | null = null;
    const w = secureWorld(nw, { builtin: new Map([[INTEGRITY_TA, path.join(buildDir, 'ta', `${INTEGRITY_TA}.ta`)]]), onIntegrityAlert: (c, d) => mon!.alert(c, d) });
    const moduleBytes = new Uint8Array(300).fill(9);
    const sha = createHash('sha256').update(moduleBytes).digest('hex');
    const seg = new Uint8Array(64).fill(0x33);
    new Uint8Array(nw.memory.buffer).set(seg, 8192);
    const measurement = { sha256: sha, dataSegments: [{ index: 0, offset: 8192, length: 64, at: 0, active: true, name: '.rodata', sha256: createHash('sha256').update(seg).digest('hex') }] };
    mon = new IntegrityMonitor(w, { ranges: [], segments: 'readonly', tables: false, periodMs: 1000, policy: 'attest' }, () => ({}), () => undefined, null, 't', measurement);
    mon.arm();
    expect(mon.check()).toEqual([]);
    const intact = mon.report();
    expect(intact).toEqual({ module: new Uint8Array(Buffer.from(sha, 'hex')), checks: 1, alerts: 0, lastChanged: 0, ranges: 1 });
    nw.u8()[8192 + 5] ^= 1;
    expect(mon.check()).toHaveLength(1);
    const violated = mon.report();
    expect(violated).toMatchObject({ checks: 2, alerts: 1, lastChanged: 1, ranges: 1 });

    const issuer = psaIssuer(new Uint8Array(32).fill(1));
    const token = (components: ReturnType<typeof integrityComponents>) => issuer.issue({
      nonce: new Uint8Array(32).fill(7), implementationId: new Uint8Array(32), bootSeed: new Uint8Array(8), lifecycle: LIFECYCLE.secured, clientId: 1, swComponents: components,
    });
    const parsed = parsePsaToken(token(integrityComponents(violated)));
    expect(psaSignatureValid(parsed, issuer.publicKey)).toBe(true);
    const [guest, status] = parsed.claims.swComponents;
    expect(guest!.measurementType).toBe('guest');
    expect(Buffer.from(guest!.measurementValue).toString('hex')).toBe(sha);
    expect(status!.measurementType).toBe('guest-integrity:violated');
    expect(status!.version).toBe('checks=2 alerts=1 last=1 ranges=1');
    const okStatus = parsePsaToken(token(integrityComponents(intact))).claims.swComponents[1]!;
    expect(okStatus.measurementType).toBe('guest-integrity:intact');
    // The status value binds the counts and the module: a different report gives a different value.
    expect(Buffer.from(okStatus.measurementValue).equals(Buffer.from(status!.measurementValue))).toBe(false);
    // A manifest range (no module hash) and a patched-before-boot segment: the segment's reference is the module's bytes.
    w.shutdown();
  });

  it('a client asks the integrity TA for a PSA token (command 3): the secure world signs the TA\'s report over the nonce', () => {
    const nw = new NormalWorld();
    let mon: IntegrityMonitor | null = null;
    const issuer = psaIssuer(new Uint8Array(32).fill(5));
    const w = secureWorld(nw, {
      builtin: new Map([[INTEGRITY_TA, path.join(buildDir, 'ta', `${INTEGRITY_TA}.ta`)]]),
      onIntegrityAlert: (c, d) => mon!.alert(c, d),
      integrityToken: (nonce, report) => issuer.issue(integrityClaims(nonce, report, new Uint8Array(32))),
    });
    const seg = new Uint8Array(64).fill(0x44);
    new Uint8Array(nw.memory.buffer).set(seg, 8192);
    const sha = createHash('sha256').update('the module').digest('hex');
    const measurement = { sha256: sha, dataSegments: [{ index: 0, offset: 8192, length: 64, at: 0, active: true, name: '.rodata', sha256: createHash('sha256').update(seg).digest('hex') }] };
    mon = new IntegrityMonitor(w, { ranges: [], segments: 'readonly', tables: false, periodMs: 1000, policy: 'attest' }, () => ({}), () => undefined, null, 't', measurement);
    mon.arm();
    expect(w.openSession(INTEGRITY_TA, 0, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_SUCCESS);
    const client = w.lastSession;
    const NONCE = 12288, TOKEN = 16384;
    const nonce = new Uint8Array(32).map((_, i) => i + 1);
    nw.u8().set(nonce, NONCE);
    const attest = (cap: number, nonceLen = 32) => {
      const op = nw.op(gp.paramTypes(gp.PARAM_MEMREF_INPUT, gp.PARAM_MEMREF_OUTPUT), [{ buf: NONCE, size: nonceLen }, { buf: TOKEN, size: cap }]);
      const r = w.invoke(client, 3, nw.u8(), nw.dv(), op);
      return { r, size: nw.param(1)[1], token: nw.u8().slice(TOKEN, TOKEN + nw.param(1)[1]) };
    };
    const short = attest(16);
    expect(short.r).toBe(gp.TEE_ERROR_SHORT_BUFFER);
    expect(short.size).toBeGreaterThan(100);
    expect(attest(4096, 20).r).toBe(gp.TEE_ERROR_BAD_PARAMETERS);
    const read = (token: Uint8Array) => {
      const t = parsePsaToken(token);
      expect(psaSignatureValid(t, issuer.publicKey)).toBe(true);
      expect([...t.claims.nonce]).toEqual([...nonce]);
      return t.claims.swComponents;
    };
    const ok = attest(4096);
    expect(ok.r).toBe(gp.TEE_SUCCESS);
    const [guest, status] = read(ok.token);
    expect(Buffer.from(guest!.measurementValue).toString('hex')).toBe(sha);
    expect(status!.measurementType).toBe('guest-integrity:intact');
    nw.u8()[8192 + 9] ^= 0x10;
    expect(mon.check()).toHaveLength(1);
    const after = read(attest(4096).token);
    expect(after[1]!.measurementType).toBe('guest-integrity:violated');
    expect(after[1]!.version).toBe('checks=1 alerts=1 last=1 ranges=1');
    w.shutdown();
  });

  it('on the board, the token is signed with the state directory\'s PSA device key (what `emon attest collateral` exports)', () => {
    const stateDir = tempDir();
    const board = attachBoard({ name: 'attested', manifest: {}, attachments: new Map(), options: { stateDir, taDir: path.join(buildDir, 'ta') }, trace: null, log: () => undefined });
    try {
      const memory = new WebAssembly.Memory({ initial: 2 });
      let mon: IntegrityMonitor | null = null;
      connectNormalWorld(() => memory, (c, d) => mon!.alert(c, d));
      const u8 = () => new Uint8Array(memory.buffer);
      const dv = () => new DataView(memory.buffer);
      mon = new IntegrityMonitor(board.world, { ranges: [[8192, 16]], segments: 'none', tables: false, periodMs: 1000, policy: 'attest' }, () => ({}), () => undefined, null, 't');
      mon.arm();
      expect(board.world.openSession(INTEGRITY_TA, 0, u8(), dv(), 0)).toBe(gp.TEE_SUCCESS);
      u8().fill(3, 12288, 12288 + 48);
      dv().setUint32(1024 + 4, gp.paramTypes(gp.PARAM_MEMREF_INPUT, gp.PARAM_MEMREF_OUTPUT), true);
      dv().setUint32(1024 + 8, 12288, true);
      dv().setUint32(1024 + 12, 48, true);
      dv().setUint32(1024 + 20, 16384, true);
      dv().setUint32(1024 + 24, 4096, true);
      expect(board.world.invoke(board.world.lastSession, 3, u8(), dv(), 1024)).toBe(gp.TEE_SUCCESS);
      const token = parsePsaToken(u8().slice(16384, 16384 + dv().getUint32(1024 + 24, true)));
      expect(psaSignatureValid(token, psaIssuer(loadPlatform(stateDir).sealRoot).publicKey)).toBe(true);
      expect(token.claims.swComponents.map((c) => c.measurementType)).toEqual(['guest', 'guest-integrity:intact']);
    } finally {
      board.release();
    }
  });

  it('without the board\'s attestation service the token command answers not supported', () => {
    const nw = new NormalWorld();
    let mon: IntegrityMonitor | null = null;
    const w = secureWorld(nw, { builtin: new Map([[INTEGRITY_TA, path.join(buildDir, 'ta', `${INTEGRITY_TA}.ta`)]]), onIntegrityAlert: (c, d) => mon!.alert(c, d) });
    mon = new IntegrityMonitor(w, { ranges: [[8192, 16]], segments: 'none', tables: false, periodMs: 1000, policy: 'attest' }, () => ({}), () => undefined, null, 't');
    mon.arm();
    expect(w.openSession(INTEGRITY_TA, 0, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_SUCCESS);
    const op = nw.op(gp.paramTypes(gp.PARAM_MEMREF_INPUT, gp.PARAM_MEMREF_OUTPUT), [{ buf: 12288, size: 32 }, { buf: 16384, size: 4096 }]);
    expect(w.invoke(w.lastSession, 3, nw.u8(), nw.dv(), op)).toBe(gp.TEE_ERROR_NOT_SUPPORTED);
    w.shutdown();
  });

  it('a segment patched before the reference is taken fails the first check (the reference is the module\'s bytes, not live memory)', () => {
    const nw = new NormalWorld();
    let mon: IntegrityMonitor | null = null;
    const w = secureWorld(nw, { builtin: new Map([[INTEGRITY_TA, path.join(buildDir, 'ta', `${INTEGRITY_TA}.ta`)]]), onIntegrityAlert: (c, d) => mon!.alert(c, d) });
    const seg = new Uint8Array(64).fill(0x33);
    const live = seg.slice();
    live[3] = 0;
    new Uint8Array(nw.memory.buffer).set(live, 8192);
    const measurement = { sha256: '00'.repeat(32), dataSegments: [{ index: 0, offset: 8192, length: 64, at: 0, active: true, name: '.rodata', sha256: createHash('sha256').update(seg).digest('hex') }] };
    mon = new IntegrityMonitor(w, { ranges: [], segments: 'readonly', tables: false, periodMs: 1000, policy: 'log' }, () => ({}), () => undefined, null, 't', measurement);
    mon.arm();
    expect(mon.check().map((a) => a.detail)).toEqual(['range #0 [8192, +64) changed since boot']);
    w.shutdown();
  });
});

describe('integrity reference limits', () => {
  it('more than 64 ranges from the segments and the manifest together are refused with E_INTEGRITY, naming the count', () => {
    const nw = new NormalWorld();
    const w = secureWorld(nw, { builtin: new Map([[INTEGRITY_TA, path.join(buildDir, 'ta', `${INTEGRITY_TA}.ta`)]]) });
    const segs = Array.from({ length: 60 }, (_, i) => ({ index: i, offset: 4096 + 16 * i, length: 16, at: 0, active: true, name: '.rodata', sha256: '11'.repeat(32) }));
    const ranges = Array.from({ length: 10 }, (_, i) => [65536 + 16 * i, 16] as const);
    const mon = new IntegrityMonitor(w, { ranges, segments: 'readonly', tables: false, periodMs: 1000, policy: 'log' }, () => ({}), () => undefined, null, 't', { sha256: '00'.repeat(32), dataSegments: segs });
    expect(mon.ranges()).toHaveLength(70);
    expect(() => mon.arm()).toThrow(expect.objectContaining({ code: 'E_INTEGRITY', message: expect.stringMatching(/can watch 64 ranges; the module's segments and the manifest give 70/) }));
    expect(mon.armed).toBe(false);
    w.shutdown();
  });
});

describe('integrity TA on demand', () => {
  it('a client session shares the instance: it may check and read the report, never reset the reference or close the system session', () => {
    const nw = new NormalWorld();
    const alerts: IntegrityAlert[] = [];
    let mon: IntegrityMonitor | null = null;
    const w = secureWorld(nw, { builtin: new Map([[INTEGRITY_TA, path.join(buildDir, 'ta', `${INTEGRITY_TA}.ta`)]]), onIntegrityAlert: (c, d) => mon!.alert(c, d) });
    new Uint8Array(nw.memory.buffer).fill(7, 8192, 8192 + 100);
    mon = new IntegrityMonitor(w, { ranges: [[8192, 100]], segments: 'none', tables: false, periodMs: 1000, policy: 'log' }, () => ({}), (a) => alerts.push(...a), null, 't');
    mon.arm();
    expect(w.openSession(INTEGRITY_TA, 0, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_SUCCESS);
    const client = w.lastSession;
    const check = () => w.invoke(client, 1, nw.u8(), nw.dv(), nw.op(gp.paramTypes(gp.PARAM_VALUE_OUTPUT), [null]));
    expect(check()).toBe(gp.TEE_SUCCESS);
    expect(nw.param(0, OP)[0]).toBe(0);
    nw.u8()[8192 + 50] = 8;
    expect(check()).toBe(gp.TEE_ERROR_SECURITY);
    expect(w.origin).toBe(gp.TEE_ORIGIN_TRUSTED_APP);
    expect(w.invoke(client, 0x80000000, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_ERROR_ACCESS_DENIED);
    expect(w.origin).toBe(gp.TEE_ORIGIN_TEE);
    w.closeSession(0x80000001);
    expect(mon.check().map((a) => a.detail)).toEqual(['range #0 [8192, +100) changed since boot']);
    expect(w.invoke(client, 2, nw.u8(), nw.dv(), nw.op(gp.paramTypes(gp.PARAM_VALUE_OUTPUT), [null]))).toBe(gp.TEE_SUCCESS);
    expect(nw.param(0, OP)).toEqual([2, 3]); // two changed-range alerts over three checks
    expect(alerts.length).toBe(1);
  });
});
