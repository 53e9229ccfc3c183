/**
 * Evidence asked for by a guest (issue 16 point 4): the enclave-quote example unikernel, under the real monitor
 * with the "emon_quote" provider, gets a quote bound to the nonce on its command line and to its attester
 * enclave's key; the verifier affirms it for that nonce and key. The provider refuses hostile pointers with
 * EINVAL, a REPORT not made for the QE with EUNSPEC, a short buffer with AGAIN and the needed length, and a
 * guest whose manifest does not declare "quote" is aborted with a message.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CaptureConsole } from '../../runtime/monitor/console.js';
import { GuestRunner } from '../../runtime/monitor/guest.js';
import { loadGuest } from '../../runtime/monitor/loader.js';
import { enclaveExtension } from '../../runtime/enclave/extension.js';
import { quoteExtension } from '../../runtime/attest/quote-extension.js';
import { Manufacturer } from '../../runtime/attest/sgx/manufacturer.js';
import { appraise } from '../../runtime/attest/engine.js';
import { buildDir } from '../../runtime/paths.js';
import type { GuestHost } from '../../runtime/monitor/extension.js';
import { HostEnclave } from '../../runtime/attest/host-enclave.js';
import { loadPlatform } from '../../runtime/hw/sgx/platform.js';
import { platformWithTcb, sgxContext, tmp } from './helpers.js';

const caDir = tmp('emon-att-ca-');
process.env['EMON_CA_DIR'] = caDir;
const m = await Manufacturer.open(caDir);

async function runGuest(args: string, stateDir: string) {
  const g = loadGuest(path.join(buildDir, 'guests', 'enclave-quote.wasm'));
  const console = new CaptureConsole();
  const runner = await GuestRunner.create({
    name: g.name, module: g.module, manifest: g.manifest, console, extensions: [enclaveExtension, quoteExtension], log: () => undefined,
    attachments: new Map([['enclave', new Map([['attester', path.join(buildDir, 'enclaves', 'attester.wasm')]])]]),
    options: { stateDir },
    cmdline: args,
  });
  const res = runner.boot();
  runner.close();
  return { status: res.status, text: console.text() };
}

function fakeHost(manifest: Record<string, unknown>, stateDir: string, memory = new WebAssembly.Memory({ initial: 1 })) {
  const log: string[] = [];
  const host: GuestHost = {
    name: 't', manifest, attachments: new Map(), options: { stateDir }, trace: null,
    memory: () => memory, exports: () => ({}), log: (s) => void log.push(s),
    abort: (s) => {
      throw new Error(`abort: ${s}`);
    },
  };
  return { host, log, memory };
}

describe('quotes asked for by a guest', () => {
  it('the example unikernel prints a quote the verifier affirms for its nonce and key', async () => {
    const nonce = new Uint8Array(randomBytes(32));
    const { status, text } = await runGuest(Buffer.from(nonce).toString('hex'), platformWithTcb().stateDir);
    expect(status, text).toBe(0);
    const key = new Uint8Array(Buffer.from(/key ([0-9a-f]{64})/.exec(text)![1]!, 'hex'));
    const quote = new Uint8Array(Buffer.from(/quote ([0-9a-f]+)/.exec(text)![1]!, 'hex'));
    const mrenclave = Buffer.from(quote.subarray(48 + 64, 48 + 96)).toString('hex');
    const references = { sgx: [{ mrenclave, minIsvSvn: 3 }], psa: [] };
    const a = await appraise({ type: 'sgx-quote', bytes: quote, key }, await sgxContext(m, { nonce, references }));
    expect(a.reasons).toEqual([]);
    expect(a.status).toBe('affirming');
    const replay = await appraise({ type: 'sgx-quote', bytes: quote, key }, await sgxContext(m, { nonce: new Uint8Array(32) }));
    expect(replay.reasons.map((r) => r.code)).toEqual(['E_ATTEST_NONCE']);
  });

  it('the provider checks every pointer, the REPORT and the buffer size', async () => {
    const { host, log, memory } = fakeHost({ quote: 'sgx' }, platformWithTcb().stateDir);
    const q = (await quoteExtension.imports(host)) as Record<string, (...a: number[]) => number>;
    expect(q['target_info']!(65536 - 10)).toBe(2);
    expect(q['target_info']!(0xfffffff0)).toBe(2);
    expect(q['target_info']!(0)).toBe(0);
    expect(q['get_quote']!(65536 - 100, 1024, 4096, 512)).toBe(2); // report out of bounds
    expect(q['get_quote']!(0, 1024, 70000, 512)).toBe(2); // out buffer out of bounds
    expect(q['get_quote']!(0, 1024, 4096, 65535)).toBe(2); // length out of bounds
    expect(q['get_quote']!(0, 1024, 4096, 512)).toBe(3); // zeros are no REPORT for the QE
    expect(log.join('\n')).toMatch(/MAC does not verify/);
    const dv = new DataView(memory.buffer);
    expect(dv.getUint32(512, true)).toBe(0);
    // A genuine REPORT for the QE: a short buffer gets AGAIN and the length, a large one the quote.
    const attester = HostEnclave.load('attester', path.join(buildDir, 'enclaves', 'attester.wasm'), loadPlatform(host.options['stateDir'] as string));
    const target = new Uint8Array(memory.buffer).slice(0, 64);
    const report = attester.call('att_evidence', [new Uint8Array(32), target, { out: 32 }, { out: 208 }]).outs[1]!;
    new Uint8Array(memory.buffer).set(report, 256);
    expect(q['get_quote']!(256, 1024, 100, 512)).toBe(1);
    const need = dv.getUint32(512, true);
    expect(need).toBeGreaterThan(1000);
    expect(q['get_quote']!(256, 1024, 16384, 512)).toBe(0);
    expect(dv.getUint16(1024, true)).toBe(3);
    expect(dv.getUint32(512, true)).toBe(need);
  });

  it('a guest whose manifest does not declare "quote" is aborted when it asks; a bad value is refused at start', async () => {
    const { host } = fakeHost({}, platformWithTcb().stateDir);
    const q = (await quoteExtension.imports(host)) as Record<string, (...a: number[]) => number>;
    expect(() => q['get_quote']!(0, 0, 0, 0)).toThrow(/does not declare "quote": "sgx"/);
    await expect(quoteExtension.imports(fakeHost({ quote: 'tdx' }, platformWithTcb().stateDir).host)).rejects.toMatchObject({ code: 'E_MANIFEST' });
  });
});
