/**
 * Local attestation (issue 5 point 6): two enclaves agree a session key over EREPORT-bound X25519 values
 * with the guest as courier. Checked in-thread against the attest enclaves: honest runs agree, every altered
 * message or foreign signer is refused with its reason, replayed messages of another session do not verify;
 * and the example guest runs under the real monitor. Every case runs on both backends (on TZ, the enclaves are
 * TAs of the board's secure world and their reports are MAC'd with keys from its HUK).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { OK } from '../../runtime/enclave/abi.js';
import { hex } from '../../runtime/hw/sgx/identity.js';
import { generateSignerKey } from '../../runtime/hw/sgx/sigstruct.js';
import { loadEnclaveImage } from '../../runtime/enclave/host.js';
import { CaptureConsole } from '../../runtime/monitor/console.js';
import { GuestRunner } from '../../runtime/monitor/guest.js';
import { loadGuest } from '../../runtime/monitor/loader.js';
import { enclaveExtension } from '../../runtime/enclave/extension.js';
import { buildDir } from '../../runtime/paths.js';
import { BACKEND_NAMES, image, tempPlatform, TestGuest, FREE } from './harness.js';
import type { BackendName } from '../../runtime/hw/backend.js';
import { signEnclave } from '../../runtime/enclave/signing.js';
import { readFileSync } from 'node:fs';

const E_REPORT = -2, E_BINDING = -3, E_SIGNER = -4, E_STATE = -1;
const M1 = FREE, M2 = FREE + 512, M3 = FREE + 1024, BOX = FREE + 1536, TAG = FREE + 1664, MSG = FREE + 1792;
const edl = readFileSync(path.resolve(__dirname, '../../enclaves/attest-a/attest.edl'), 'utf8');
const unsigned = (n: string) => new Uint8Array(readFileSync(path.join(buildDir, 'enclaves', `${n}.unsigned.wasm`)));
const key = generateSignerKey().secretKey;
let backend: BackendName = 'sgx';
const sign = (n: string, k = key, prod = 2) =>
  image(n, signEnclave(unsigned(n), `${n}.wasm`, k, { heapPages: 8, threads: 1, isvProdId: prod, isvSvn: 1, debug: false }, edl).signed, backend);
const r = (x: { status: number; ret: bigint }) => (expect(x.status).toBe(OK), Number(x.ret & 0xffffffffn) | 0);

function pair(platform = tempPlatform(backend), bobKey = key) {
  const a = new TestGuest().open(sign('attest-a'), platform);
  const b = new TestGuest().open(sign('attest-b', bobKey, 3), platform);
  return { a, b };
}
/** Courier: copy n bytes from one test guest's memory to the other's. */
const carry = (from: TestGuest, at: number, n: number, to: TestGuest, dst = at) => to.put(dst, from.u8().slice(at, at + n));

function handshake(a: TestGuest, b: TestGuest, tamper?: (step: 1 | 2 | 3, g: TestGuest) => void): [number, number] {
  expect(r(a.call('la_start', [M1]))).toBe(0);
  carry(a, M1, 96, b);
  tamper?.(1, b);
  expect(r(b.call('la_respond', [M1, M2]))).toBe(0);
  carry(b, M2, 304, a);
  tamper?.(2, a);
  const fin = r(a.call('la_finish', [M2, M3]));
  if (fin !== 0) return [fin, 1];
  carry(a, M3, 208, b);
  tamper?.(3, b);
  return [fin, r(b.call('la_confirm', [M3]))];
}

describe.each(BACKEND_NAMES)('local attestation on %s', (b) => {
  beforeEach(() => {
    backend = b;
  });
  it('two enclaves of one signer agree a key the guest never sees, and learn each other’s MRENCLAVE', () => {
    const { a, b } = pair();
    expect(handshake(a, b)).toEqual([0, 0]);
    expect(r(a.call('la_send_key', [BOX]))).toBe(0);
    carry(a, BOX, 60, b);
    expect(r(b.call('la_receive_key', [BOX]))).toBe(0);
    for (const g of [a, b]) g.put(MSG, new TextEncoder().encode('m'));
    r(a.call('la_tag', [MSG, 1, TAG]));
    r(b.call('la_tag', [MSG, 1, TAG]));
    expect(a.u8().slice(TAG, TAG + 32)).toEqual(b.u8().slice(TAG, TAG + 32));
    r(a.call('la_peer', [M3 + 256]));
    expect(hex(a.u8().slice(M3 + 256, M3 + 288))).toBe(hex(b.enc.image.enclave.identity.mrenclave));
    const boxBytes = a.u8().slice(BOX, BOX + 60);
    expect(Buffer.from(a.u8().buffer).includes(Buffer.from(boxBytes.subarray(12, 44)))).toBe(true);
  });

  it('refuses altered messages at the step that checks them', () => {
    const flip = (at: number) => (g: TestGuest) => void (g.u8()[at]! ^= 1);
    // msg1's public key altered: Bob's report binds the wrong ga, Alice sees a binding mismatch.
    expect(handshake(...Object.values(pair()) as [TestGuest, TestGuest], (s, g) => s === 1 && flip(M1 + 3)(g))[0]).toBe(E_BINDING);
    // msg1's TARGETINFO altered: the report is MAC'd for someone else.
    expect(handshake(...Object.values(pair()) as [TestGuest, TestGuest], (s, g) => s === 1 && flip(M1 + 40)(g))[0]).toBe(E_REPORT);
    // msg2: public key, report body, report MAC.
    for (const at of [M2 + 1, M2 + 32 + 10, M2 + 32 + 100, M2 + 32 + 200]) {
      const res = handshake(...Object.values(pair()) as [TestGuest, TestGuest], (s, g) => s === 2 && flip(at)(g))[0];
      expect([E_REPORT, E_BINDING]).toContain(res);
    }
    // msg3 altered: Bob refuses.
    expect(handshake(...Object.values(pair()) as [TestGuest, TestGuest], (s, g) => s === 3 && flip(M3 + 90)(g))[1]).toBe(E_REPORT);
  });

  it('refuses a peer of another signer, another platform, and replayed or out-of-order messages', () => {
    const other = pair(tempPlatform(backend), generateSignerKey().secretKey);
    expect(handshake(other.a, other.b)[0]).toBe(E_SIGNER);
    // Bob on another platform: his report's MAC cannot be Alice's report key.
    const a = new TestGuest().open(sign('attest-a'), tempPlatform(backend));
    const b = new TestGuest().open(sign('attest-b', key, 3), tempPlatform(backend));
    expect(handshake(a, b)[0]).toBe(E_REPORT);
    // Replay msg3 of a finished session into a new one: the binding no longer matches.
    const p = pair();
    expect(handshake(p.a, p.b)).toEqual([0, 0]);
    const old = p.a.u8().slice(M3, M3 + 208);
    r(p.a.call('la_start', [M1]));
    carry(p.a, M1, 96, p.b);
    r(p.b.call('la_respond', [M1, M2]));
    p.b.put(M3, old);
    expect(r(p.b.call('la_confirm', [M3]))).toBe(E_BINDING);
    expect(r(p.b.call('la_confirm', [M3]))).toBe(E_BINDING);
    const fresh = pair();
    expect(r(fresh.a.call('la_finish', [M2, M3]))).toBe(E_STATE);
  });

  it('the example guest completes under the real monitor', async () => {
    const g = loadGuest(path.join(buildDir, 'guests', 'enclave-attest.wasm'));
    const console = new CaptureConsole();
    const runner = await GuestRunner.create({
      name: g.name, module: g.module, manifest: g.manifest, console, extensions: [enclaveExtension], log: () => undefined,
      attachments: new Map([['enclave', new Map([['alice', path.join(buildDir, 'enclaves', 'attest-a.wasm')], ['bob', path.join(buildDir, 'enclaves', 'attest-b.wasm')]])]]),
      options: { stateDir: tempPlatform().stateDir, backend: b },
    });
    const res = runner.boot();
    runner.close();
    expect(res.status).toBe(0);
    const bob = loadEnclaveImage('bob', path.join(buildDir, 'enclaves', 'attest-b.wasm'), null);
    expect(console.text()).toContain(`alice attested bob:  MRENCLAVE ${hex(bob.enclave.identity.mrenclave)}`);
    expect(console.text()).toMatch(/alice refused a tampered report[\s\S]*HMAC tags match/);
  });
});
