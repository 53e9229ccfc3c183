/**
 * The GP TEE Client API from real guests under the monitor (the "teec" extension and the secure world): the
 * AssemblyScript and C hello-world programs talk to the hello-world TA on --backend=tz, the same guests get
 * TEEC_ERROR_COMMUNICATION without a secure world, and bad TrustZone options are refused before the guest starts.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { enclaveExtension } from '../../runtime/enclave/extension.js';
import { teecExtension } from '../../runtime/enclave/teec.js';
import { isEmonError } from '../../runtime/errors.js';
import { CaptureConsole } from '../../runtime/monitor/console.js';
import { GuestRunner } from '../../runtime/monitor/guest.js';
import { loadGuest } from '../../runtime/monitor/loader.js';
import { buildDir } from '../../runtime/paths.js';
import { MemoryTraceSink } from '../../runtime/trace/sink.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const guestFile = (n: string) => path.join(buildDir, 'guests', `${n}.wasm`);
const taDir = path.join(buildDir, 'ta');

async function run(guest: string, options: Record<string, string | boolean>, attachments: Record<string, Record<string, string>> = {}) {
  const g = loadGuest(guestFile(guest));
  const console = new CaptureConsole();
  const log: string[] = [];
  const trace = new MemoryTraceSink();
  const runner = await GuestRunner.create({
    trace,
    name: g.name,
    module: g.module,
    manifest: g.manifest,
    attachments: new Map(Object.entries(attachments).map(([k, v]) => [k, new Map(Object.entries(v))])),
    options,
    console,
    extensions: [enclaveExtension, teecExtension],
    log: (l) => log.push(l),
  });
  try {
    const result = runner.boot();
    return { result, out: console.text(), log, events: trace.events, memory: new Uint8Array(runner.memory().buffer).slice() };
  } finally {
    runner.close();
  }
}

describe('GP TEE Client API for guests', () => {
  it('the AssemblyScript hello-world program increments through the TA and gets a digest after a short buffer', async () => {
    const { result, out, log } = await run('tee-hello', { backend: 'tz', taDir });
    expect(out).toContain('TA incremented value to 43');
    expect(out).toContain('16-byte buffer: TEEC_ERROR_SHORT_BUFFER, the TA needs 32 bytes');
    expect(out).toContain('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(log.some((l) => l.includes('I/TA: Hello World!'))).toBe(true);
    expect(result.status).toBe(0);
  });

  it.skipIf(!existsSync(guestFile('tee-hello-c')))('the C program written against tee_client_api.h does the same (needs clang)', async () => {
    const { result, out } = await run('tee-hello-c', { backend: 'tz', taDir });
    expect(out).toContain('TA incremented value to 43');
    expect(result.status).toBe(0);
  });

  it.skipIf(!existsSync(guestFile('tee-optee-c')))('OP-TEE\'s hello_world host program (main, printf, errx, libc) talks to the C TA (needs clang and wasi-libc)', async () => {
    const { result, out, log } = await run('tee-optee-c', { backend: 'tz', taDir });
    expect(out).toContain('Invoking TA to increment 42\nTA incremented value to 43');
    expect(log.join('\n')).toContain('I/TA: Got value: 42 from NW');
    expect(result.status).toBe(0);
    const none = await run('tee-optee-c', { backend: 'sgx' });
    expect(none.out).toMatch(/TEEC_InitializeContext failed with code 0xffff000e/);
    expect(none.result.status).toBe(1);
  });

  it('without a secure world (--backend=sgx) TEEC_InitializeContext is TEEC_ERROR_COMMUNICATION, and the log says why', async () => {
    const { result, out, log } = await run('tee-hello', { backend: 'sgx' });
    expect(out).toContain('TEEC_InitializeContext failed with code 0xffff000e');
    expect(log.join('\n')).toMatch(/needs --backend=tz/);
    expect(result.status).toBe(1);
  });

  it('an unknown TA is TEEC_ERROR_ITEM_NOT_FOUND with origin TEE, named on the monitor log', async () => {
    const { result, out, log } = await run('tee-hello', { backend: 'tz', taDir: path.join(buildDir, 'guests') });
    expect(out).toContain('TEEC_OpenSession failed with code 0xffff0008 origin 0x3');
    expect(log.join('\n')).toMatch(/TEE_ERROR_ITEM_NOT_FOUND .*no TA 8aaaf200-2450-11e4-abe2-0002a5d5c51b/);
    expect(result.status).toBe(1);
  });

  it('bad TrustZone options are refused before the guest starts', async () => {
    const expectCode = async (p: Promise<unknown>, code: string, re: RegExp) => {
      await p.then(
        () => expect.unreachable('started'),
        (e: unknown) => {
          expect(isEmonError(e, code), String(e)).toBe(true);
          expect((e as Error).message).toMatch(re);
        },
      );
    };
    await expectCode(run('tee-hello', { backend: 'tz', taDir: '/nonexistent' }, { secure: { keypad: '/etc/hostname' } }), 'E_USAGE', /--ta-dir=\/nonexistent: not a directory/);
    await expectCode(run('tee-hello', { backend: 'tz', secureMem: '12' }, { secure: { keypad: '/etc/hostname' } }), 'E_USAGE', /--secure-mem=12: expected a size/);
    await expectCode(run('tee-hello', { backend: 'sgx' }, { secure: { keypad: '/etc/hostname' } }), 'E_BACKEND', /needs --backend=tz/);
    await expectCode(run('tee-hello', { backend: 'tz' }, { secure: { keypad: '/nonexistent' } }), 'E_ATTACH', /--secure:keypad=\/nonexistent: cannot read it/);
  });

  it('secure UI: a TA reads the PIN from a keypad assigned to the secure world; the guest learns only the verdict and cannot read the keypad', async () => {
    const keys = path.join(mkdtempSync(path.join(tmpdir(), 'emon-keys-')), 'keys');
    writeFileSync(keys, '73915\n11111\n73915\n');
    const { result, out, log, events, memory } = await run('tee-pin', { backend: 'tz', taDir }, { secure: { keypad: keys } });
    expect(out).toContain('guest reads the keypad itself: 0xffff0001 (TEEC_ERROR_ACCESS_DENIED)');
    expect(out).toMatch(/PIN enrolled[\s\S]*PIN check: no match, 2 tries left[\s\S]*PIN check: match, 3 tries left[\s\S]*no more key presses/);
    expect(result.status).toBe(0);
    expect(Buffer.from(memory).includes(Buffer.from('73915'))).toBe(false);
    expect(Buffer.from(memory).includes(Buffer.from('11111'))).toBe(false);
    expect(log.join('\n')).toContain('normal world tried to read secure device "keypad": refused');
    expect(events.some((e) => e.kind === 'smc' && e.name === 'secure_device_denied' && e.args?.['device'] === 'keypad')).toBe(true);
  });

  it('secure UI: three wrong PINs lock the TA (TEEC_ERROR_ACCESS_DENIED), and no keypad means no data', async () => {
    const keys = path.join(mkdtempSync(path.join(tmpdir(), 'emon-keys-')), 'keys');
    writeFileSync(keys, '2468\n1\n2\n3\n2468\n');
    const locked = await run('tee-pin', { backend: 'tz', taDir }, { secure: { keypad: keys } });
    expect(locked.out).toMatch(/0 tries left[\s\S]*verify: 0xffff0001 \(locked\)/);
    const none = await run('tee-pin', { backend: 'tz', taDir });
    expect(none.out).toContain('enroll failed: 0xffff000b');
  });
});
