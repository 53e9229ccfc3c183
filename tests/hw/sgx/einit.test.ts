/**
 * The SGX life cycle in runtime/hw/sgx (issue 5 point 4): MRENCLAVE covers the module bytes and every config
 * field; EINIT refuses a tampered module, a bad signature, a wrong signer and a mismatched measurement, each
 * with its own code and a message naming the check; malformed inputs are typed errors, never crashes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signEnclave } from '../../../runtime/enclave/signing.js';
import { isEmonError } from '../../../runtime/errors.js';
import { createEnclave, SIGSTRUCT_SECTION } from '../../../runtime/hw/sgx/enclave.js';
import { measure, type EnclaveConfig } from '../../../runtime/hw/sgx/measurement.js';
import { decodeSigstruct, generateSignerKey, mrsignerOf, publicKeyOf, signSigstruct, sigstructSignatureValid, SIGSTRUCT_SIZE } from '../../../runtime/hw/sgx/sigstruct.js';
import { readCustomSection, stripCustomSection, withCustomSection } from '../../../runtime/hw/sgx/wasm-sections.js';
import { edlText, unsignedModule } from '../../enclave/harness.js';

const config: EnclaveConfig = { heapPages: 16, threads: 1, isvProdId: 3, isvSvn: 2, debug: false };
const key = generateSignerKey().secretKey;
const module = unsignedModule('sealer');
const { signed } = signEnclave(module, 'sealer.wasm', key, config, edlText('sealer'));

function einitError(bytes: Uint8Array, opts: Parameters<typeof createEnclave>[2] = {}): { code: string; message: string } {
  try {
    createEnclave(bytes, 'x.wasm', opts);
  } catch (e) {
    if (isEmonError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('EINIT succeeded');
}

describe('measurement', () => {
  it('is deterministic and changes with the module and with every config field', () => {
    const base = Buffer.from(measure(module, config)).toString('hex');
    expect(Buffer.from(measure(module, config)).toString('hex')).toBe(base);
    const variants: EnclaveConfig[] = [
      { ...config, heapPages: 17 },
      { ...config, threads: 2 },
      { ...config, isvProdId: 4 },
      { ...config, isvSvn: 3 },
      { ...config, debug: true },
    ];
    const seen = new Set([base]);
    for (const v of variants) seen.add(Buffer.from(measure(module, v)).toString('hex'));
    const flipped = module.slice();
    flipped[flipped.length - 1]! ^= 1;
    seen.add(Buffer.from(measure(flipped, config)).toString('hex'));
    seen.add(Buffer.from(measure(new Uint8Array([...module, 0]), config)).toString('hex'));
    expect(seen.size).toBe(variants.length + 3);
  });
});

describe('EINIT', () => {
  it('accepts the signed enclave and derives SGX identities', () => {
    const e = createEnclave(signed, 'sealer.wasm', { expectedMrsigner: mrsignerOf(publicKeyOf(key)) });
    const image = stripCustomSection(signed, SIGSTRUCT_SECTION, 'x');
    expect(e.identity.mrenclave).toEqual(measure(image, config));
    expect(e.identity.mrsigner).toEqual(mrsignerOf(publicKeyOf(key)));
    expect([e.identity.isvProdId, e.identity.isvSvn]).toEqual([3, 2]);
    expect(e.edl).toBe(edlText('sealer'));
  });

  it('tampered module: measurement mismatch (for every section the module has)', () => {
    const sig = readCustomSection(signed, SIGSTRUCT_SECTION, 'x')!;
    const image = stripCustomSection(signed, SIGSTRUCT_SECTION, 'x');
    let checked = 0;
    for (const at of [8, 20, Math.floor(image.length / 2), image.length - 5]) {
      const bad = image.slice();
      bad[at]! ^= 0x40;
      const err = einitError(withCustomSection(bad, SIGSTRUCT_SECTION, sig, 'x'));
      expect(['E_EINIT_MEASUREMENT', 'E_BAD_WASM']).toContain(err.code);
      if (err.code === 'E_EINIT_MEASUREMENT') {
        expect(err.message).toMatch(/measurement mismatch/);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1);
  });

  it('bad signature: a change to any byte of the SIGSTRUCT, signed body or signature, is refused by EINIT', () => {
    const sig = readCustomSection(signed, SIGSTRUCT_SECTION, 'x')!;
    expect(sig.length).toBe(SIGSTRUCT_SIZE);
    let bySignature = 0;
    for (let at = 0; at < SIGSTRUCT_SIZE; at++) {
      for (const bit of [0x01, 0x02, 0x80]) {
        const bad = sig.slice();
        bad[at]! ^= bit;
        const err = einitError(withCustomSection(signed, SIGSTRUCT_SECTION, bad, 'x'));
        // Fields checked before the signature (magic, attributes, config bounds) are refused as malformed.
        expect(['E_EINIT_SIGNATURE', 'E_SIGSTRUCT'], `byte ${at} ^ ${bit}: ${err.code} ${err.message}`).toContain(err.code);
        if (err.code === 'E_EINIT_SIGNATURE') bySignature++;
      }
    }
    expect(bySignature).toBeGreaterThan(SIGSTRUCT_SIZE * 2);
  });

  it('the signature covers every byte of the signed range (0..96) and every signature byte, whatever decoding would say', () => {
    const decoded = decodeSigstruct(readCustomSection(signed, SIGSTRUCT_SECTION, 'x')!, 'x');
    expect(sigstructSignatureValid(decoded)).toBe(true);
    const signedLen = 96;
    for (let at = 0; at < SIGSTRUCT_SIZE; at++) {
      for (const bit of [0x01, 0x80]) {
        const bytes = decoded.bytes.slice();
        bytes[at]! ^= bit;
        const variant = at < signedLen ? { ...decoded, bytes } : { ...decoded, signature: bytes.slice(signedLen) };
        expect(sigstructSignatureValid(variant), `byte ${at} ^ ${bit}`).toBe(false);
      }
    }
  });

  it('wrong signer: a valid enclave signed by another key than the manifest expects', () => {
    const other = generateSignerKey();
    const err = einitError(signed, { expectedMrsigner: mrsignerOf(other.publicKey) });
    expect(err.code).toBe('E_EINIT_SIGNER');
    expect(err.message).toMatch(/wrong signer/);
  });

  it('mismatched measurement: a genuine SIGSTRUCT for another config or another module', () => {
    const image = stripCustomSection(signed, SIGSTRUCT_SECTION, 'x');
    const forOtherConfig = signSigstruct(measure(image, { ...config, isvSvn: 9 }), config, key);
    expect(einitError(withCustomSection(image, SIGSTRUCT_SECTION, forOtherConfig.bytes, 'x')).code).toBe('E_EINIT_MEASUREMENT');
    const other = signEnclave(unsignedModule('gatetest'), 'g.wasm', key, config).sigstruct;
    expect(einitError(image, { sigstruct: other.bytes }).code).toBe('E_EINIT_MEASUREMENT');
  });

  it('unsigned, malformed SIGSTRUCT, and non-Wasm inputs are typed errors', () => {
    expect(einitError(module).code).toBe('E_EINIT_SIGSTRUCT');
    expect(einitError(signed, { sigstruct: new Uint8Array(10) }).code).toBe('E_SIGSTRUCT');
    expect(einitError(new TextEncoder().encode('not wasm at all')).code).toBe('E_BAD_WASM');
    expect(() => decodeSigstruct(new Uint8Array(160), 's')).toThrow(/bad magic/);
  });

  it('random corruption or truncation of a signed enclave never escapes as an untyped error', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: signed.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.boolean(), (at, x, truncate) => {
        const bad = truncate ? signed.slice(0, at) : signed.slice();
        if (!truncate) bad[at]! ^= x;
        try {
          createEnclave(bad, 'x.wasm');
        } catch (e) {
          expect(isEmonError(e)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });
});
