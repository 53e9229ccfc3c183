/**
 * The enclave extension under the real monitor (in-thread GuestRunner): the hostile probe guest is refused on
 * every path and never sees the enclave's secret; the sealing demo seals to a block device, unseals on the next
 * boot and refuses an altered disk; attachments, manifests and signers are checked before the guest starts;
 * the "emon" import module offers the guest functions only.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { enclaveExtension } from '../../runtime/enclave/extension.js';
import { isEmonError } from '../../runtime/errors.js';
import { CaptureConsole } from '../../runtime/monitor/console.js';
import type { GuestHost } from '../../runtime/monitor/extension.js';
import { GuestRunner } from '../../runtime/monitor/guest.js';
import { loadGuest } from '../../runtime/monitor/loader.js';
import { generateSignerKey, mrsignerOf } from '../../runtime/hw/sgx/sigstruct.js';
import { signed } from './harness.js';
import wabtInit from 'wabt';
import { DEFAULT_CONFIG, signEnclave } from '../../runtime/enclave/signing.js';
import { buildDir, projectRoot } from '../../runtime/paths.js';

async function wat(text: string): Promise<Uint8Array> {
  const mod = (await wabtInit()).parseWat('enclave.wat', text);
  try {
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

const tmp = () => mkdtempSync(path.join(tmpdir(), 'emon-ext-'));
const guestFile = (n: string) => path.join(buildDir, 'guests', `${n}.wasm`);
const enclaveFile = (n: string) => path.join(buildDir, 'enclaves', `${n}.wasm`);

async function run(guest: string, attachments: Record<string, Record<string, string>>, stateDir: string, manifestOverride?: Record<string, unknown>, extra: Record<string, string> = {}) {
  const g = loadGuest(guestFile(guest));
  const console = new CaptureConsole();
  const log: string[] = [];
  const runner = await GuestRunner.create({
    name: g.name,
    module: g.module,
    manifest: manifestOverride ? { ...g.manifest, raw: { ...g.manifest.raw, ...manifestOverride } } : g.manifest,
    attachments: new Map(Object.entries(attachments).map(([k, v]) => [k, new Map(Object.entries(v))])),
    options: { stateDir, ...extra },
    console,
    extensions: [enclaveExtension],
    log: (l) => log.push(l),
  });
  try {
    const result = runner.boot();
    return { result, out: console.text(), log };
  } finally {
    runner.close();
  }
}

describe('enclave extension', () => {
  const state = tmp();

  it.each(['sgx', 'tz'])('a hostile guest is refused on every path and never sees enclave memory (%s)', async (backend) => {
    const { result, out } = await run('enclave-probe', { enclave: { gatetest: enclaveFile('gatetest') } }, state, undefined, { backend });
    expect(out).toContain('probe: every attempt was refused');
    expect(out).not.toContain('NOT REFUSED');
    expect(result.status).toBe(0);
  });

  it('the "emon" import module holds functions only: no memory, table or global of an enclave', async () => {
    const host = {
      name: 'g',
      manifest: { enclaves: [{ name: 'gatetest' }] },
      attachments: new Map([['gatetest', enclaveFile('gatetest')]]),
      options: { stateDir: state },
      trace: null,
      memory: () => new WebAssembly.Memory({ initial: 1 }),
      exports: () => ({}),
      log: () => undefined,
      abort: (m: string) => { throw new Error(m); },
    } as GuestHost;
    const imports = await enclaveExtension.imports(host);
    expect(Object.keys(imports).sort()).toEqual(['ecall', 'enclave_close', 'enclave_open']);
    for (const v of Object.values(imports)) expect(typeof v).toBe('function');
  });

  it.each(['sgx', 'tz'])('the sealing demo seals on the first boot, unseals on the next, and refuses an altered disk (%s)', async (backend) => {
    const disk = path.join(tmp(), 'disk.img');
    const att = { block: { storage: `${disk},size=64K` }, enclave: { sealer: enclaveFile('sealer') } };
    const first = await run('enclave-seal', att, state, undefined, { backend });
    expect(first.out).toContain('sealed a new secret');
    const second = await run('enclave-seal', att, state, undefined, { backend });
    expect(second.out).toMatch(/unsealed: the treasure is under the third palm .*; run 1/);
    const third = await run('enclave-seal', att, state, undefined, { backend });
    expect(third.out).toMatch(/unsealed: .*; run 2/);
    // The disk sealed on this backend does not open on the other one (different hardware keys).
    const other = await run('enclave-seal', att, state, undefined, { backend: backend === 'sgx' ? 'tz' : 'sgx' });
    expect(other.out).toContain('unseal refused');
    const bytes = readFileSync(disk);
    expect(bytes.includes(Buffer.from('treasure'))).toBe(false);
    bytes[100]! ^= 0x80;
    writeFileSync(disk, bytes);
    const tampered = await run('enclave-seal', att, state, undefined, { backend });
    expect(tampered.out).toContain('unseal refused');
    expect(tampered.result.status).toBe(2);
    const elsewhere = await run('enclave-seal', att, tmp());
    expect(elsewhere.out).toContain('unseal refused');
    // A damaged header (length past the area) or foreign data is refused and left as it was, never resealed over.
    for (const [at, value, said] of [[7, 0xff, /header is damaged/], [0, 0x45 ^ 1, /not a sealed blob/]] as const) {
      const before = readFileSync(disk);
      before[at] = value;
      writeFileSync(disk, before);
      const damaged = await run('enclave-seal', att, state, undefined, { backend });
      expect(damaged.out).toMatch(said);
      expect(damaged.result.status).toBe(2);
      expect(readFileSync(disk).equals(before)).toBe(true);
    }
  });

  it.skipIf(!existsSync(guestFile('enclave-seal-c')))('a C guest uses the same enclave through the generated C stubs (needs clang)', async () => {
    const { result, out } = await run('enclave-seal-c', { enclave: { sealer: enclaveFile('sealer') } }, state);
    expect(out).toContain('unsealed: sealed from C');
    expect(out).toContain('tampered blob refused; ISV SVN 1');
    expect(result.status).toBe(0);
  });

  it('checks attachments, manifest signer pins and EINIT before the guest starts', async () => {
    const expectCode = async (p: Promise<unknown>, code: string, re: RegExp) => {
      try {
        await p;
        throw new Error('started');
      } catch (e) {
        expect(isEmonError(e, code), String(e)).toBe(true);
        expect((e as Error).message).toMatch(re);
      }
    };
    await expectCode(run('enclave-probe', {}, state), 'E_ATTACH', /needs enclave "gatetest" but it is not attached/);
    await expectCode(run('enclave-probe', { enclave: { gatetest: enclaveFile('gatetest'), extra: 'x' } }, state), 'E_ATTACH', /declares no enclave "extra"/);
    const pin = Buffer.from(mrsignerOf(generateSignerKey().publicKey)).toString('hex');
    await expectCode(run('enclave-probe', { enclave: { gatetest: enclaveFile('gatetest') } }, state, { enclaves: [{ name: 'gatetest', mrsigner: pin }] }), 'E_EINIT_SIGNER', /wrong signer/);
    await expectCode(run('enclave-probe', { enclave: { gatetest: enclaveFile('gatetest') } }, state, { enclaves: [{ name: 'gatetest', mrsigner: 'zz' }] }), 'E_MANIFEST', /mrsigner must be 64 hex/);
    const bad = path.join(tmp(), 'bad.wasm');
    const bytes = signed('gatetest').bytes.slice();
    bytes[200]! ^= 1;
    writeFileSync(bad, bytes);
    await expectCode(run('enclave-probe', { enclave: { gatetest: bad } }, state), 'E_EINIT_MEASUREMENT', /bad\.wasm: EINIT failed: measurement mismatch/);
    await expectCode(run('enclave-probe', { enclave: { gatetest: '/nonexistent.wasm' } }, state), 'E_NO_FILE', /cannot read \/nonexistent\.wasm/);
    // A SIGSTRUCT path beside the module that cannot be read (here a folder) is named, not a monitor crash.
    const besideDir = path.join(tmp(), 'beside.wasm');
    writeFileSync(besideDir, signed('gatetest').bytes);
    mkdirSync(`${besideDir}.sig`);
    await expectCode(run('enclave-probe', { enclave: { gatetest: besideDir } }, state), 'E_NO_FILE', /cannot read the SIGSTRUCT beside it, .*beside\.wasm\.sig: EISDIR/);
    await expectCode(run('enclave-probe', { enclave: { gatetest: enclaveFile('gatetest') } }, state, undefined, { backend: 'sev' }), 'E_USAGE', /--backend=sev: expected sgx or tz/);
    await expectCode(run('enclave-probe', { enclave: { gatetest: bad } }, state, undefined, { backend: 'tz' }), 'E_EINIT_MEASUREMENT', /bad\.wasm: TA load failed: measurement mismatch/);
    // An enclave reaching for a hypercall (or WASI) is refused at load, before the guest runs.
    const sneaky = path.join(tmp(), 'sneaky.wasm');
    const mod = await wat(`(module (import "solo5" "console_write" (func (param i32 i32))) (memory (export "memory") 1))`);
    writeFileSync(sneaky, signEnclave(mod, sneaky, generateSignerKey().secretKey, DEFAULT_CONFIG, readFileSync(path.join(projectRoot, 'enclaves/gatetest/gatetest.edl'), 'utf8')).signed);
    await expectCode(run('enclave-probe', { enclave: { gatetest: sneaky } }, state), 'E_ENCLAVE_IMPORT', /imports function "solo5"\."console_write", which enclaves may not use/);
  });

  it('a correct signer pin is accepted', async () => {
    const key = generateSignerKey();
    const file = path.join(tmp(), 'g.wasm');
    writeFileSync(file, signed('gatetest', {}, key.secretKey).bytes);
    const pin = Buffer.from(mrsignerOf(key.publicKey)).toString('hex');
    const { result } = await run('enclave-probe', { enclave: { gatetest: file } }, state, { enclaves: [{ name: 'gatetest', mrsigner: pin }] });
    expect(result.status).toBe(0);
  });

  it('a reboot starts with no enclaves: handles from the last boot are EINVAL, never the old instance', async () => {
    // ping is ECALL 0; its frame is one return slot at 1024. The guest names the enclave at 64.
    const bytes = await wat(`(module
      (import "emon" "enclave_open" (func $open (param i32 i32 i32 i32 i32) (result i32)))
      (import "emon" "ecall" (func $ecall (param i32 i32 i32) (result i32)))
      (memory (export "memory") 2)
      (data (i32.const 64) "gatetest")
      (func (export "solo5_app_main") (param i32) (result i32) (i32.const 0))
      (func (export "open") (result i32)
        (if (call $open (i32.const 64) (i32.const 8) (i32.const 8192) (i32.const 8192) (i32.const 128)) (then (return (i32.const -1))))
        (i32.load (i32.const 128)))
      (func (export "ping") (param i32) (result i32) (call $ecall (local.get 0) (i32.const 0) (i32.const 1024)))
      (func (export "ocall_tick") (param i32) (result i32) (local.get 0))
      (func (export "ocall_null"))
      (func (export "ocall_echo") (param i32 i32 i32)))`);
    const module = new WebAssembly.Module(bytes);
    const runner = await GuestRunner.create({
      name: 'reboot',
      module,
      manifest: { devices: [], raw: { type: 'solo5.manifest', version: 1, devices: [], enclaves: [{ name: 'gatetest' }] } } as never,
      attachments: new Map([['enclave', new Map([['gatetest', enclaveFile('gatetest')]])]]),
      options: { stateDir: state },
      console: new CaptureConsole(),
      extensions: [enclaveExtension],
      log: () => undefined,
    });
    try {
      expect(runner.boot().status).toBe(0);
      const h = runner.invoke('open').value as number;
      expect(h).toBeGreaterThanOrEqual(0);
      expect(runner.invoke('ping', h).value).toBe(0);
      expect(runner.boot().status).toBe(0);
      expect(runner.invoke('ping', h).value).toBe(2);
      expect(runner.invoke('open').value).toBe(0);
      expect(runner.invoke('ping', 0).value).toBe(0);
    } finally {
      runner.close();
    }
  });

  it('an ECALL right after its handle was closed is EINVAL, and ECALLs alternating between two handles each reach their own instance', async () => {
    // The extension remembers the last handle an ECALL named; closing that handle must forget it.
    const bytes = await wat(`(module
      (import "emon" "enclave_open" (func $open (param i32 i32 i32 i32 i32) (result i32)))
      (import "emon" "enclave_close" (func $close (param i32) (result i32)))
      (import "emon" "ecall" (func $ecall (param i32 i32 i32) (result i32)))
      (memory (export "memory") 2)
      (data (i32.const 64) "gatetest")
      (func (export "solo5_app_main") (param i32) (result i32) (i32.const 0))
      (func (export "open") (param $scratch i32) (result i32)
        (if (call $open (i32.const 64) (i32.const 8) (local.get $scratch) (i32.const 4096) (i32.const 128)) (then (return (i32.const -1))))
        (i32.load (i32.const 128)))
      (func (export "close") (param i32) (result i32) (call $close (local.get 0)))
      (func (export "ping") (param i32) (result i32) (call $ecall (local.get 0) (i32.const 0) (i32.const 1024)))
      (func (export "ocall_tick") (param i32) (result i32) (local.get 0))
      (func (export "ocall_null"))
      (func (export "ocall_echo") (param i32 i32 i32)))`);
    const runner = await GuestRunner.create({
      name: 'close-cached',
      module: new WebAssembly.Module(bytes),
      manifest: { devices: [], raw: { type: 'solo5.manifest', version: 1, devices: [], enclaves: [{ name: 'gatetest' }] } } as never,
      attachments: new Map([['enclave', new Map([['gatetest', enclaveFile('gatetest')]])]]),
      options: { stateDir: state },
      console: new CaptureConsole(),
      extensions: [enclaveExtension],
      log: () => undefined,
    });
    try {
      expect(runner.boot().status).toBe(0);
      const a = runner.invoke('open', 8192).value as number;
      const b = runner.invoke('open', 16384).value as number;
      expect(a).toBeGreaterThanOrEqual(0);
      expect(b).not.toBe(a);
      for (let k = 0; k < 3; k++) {
        expect(runner.invoke('ping', a).value).toBe(0);
        expect(runner.invoke('ping', a).value).toBe(0);
        expect(runner.invoke('ping', b).value).toBe(0);
      }
      expect(runner.invoke('ping', b).value).toBe(0);
      expect(runner.invoke('close', b).value).toBe(0);
      expect(runner.invoke('ping', b).value).toBe(2);
      expect(runner.invoke('ping', a).value).toBe(0);
      expect(runner.invoke('close', a).value).toBe(0);
      expect(runner.invoke('ping', a).value).toBe(2);
      expect(runner.invoke('ping', -1).value).toBe(2);
    } finally {
      runner.close();
    }
  });
});
