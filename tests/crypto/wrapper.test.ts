/**
 * The hw wrapper's edges: the EPC pager's page path, typed errors for wrong sizes, hostile sealed data (random
 * bytes never throw and never produce plaintext), malformed or missing core modules, hash stream misuse, memory
 * growth, and the rule that trusted crypto never reaches for the host's node:crypto.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { WasmCrypto, coreModulePath, engineSupportsSimd, PAGE_SIZE } from '../../runtime/hw/crypto/index.js';
import { isEmonError } from '../../runtime/errors.js';
import { flavors } from './helpers.js';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isEmonError(e) ? e.code : `untyped: ${String(e)}`;
  }
  return undefined;
}

const key = new Uint8Array(32).fill(7);
const nonce = new Uint8Array(12).fill(9);
const aad = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);

describe.each(flavors)('page path, %s core', (flavor) => {
  const c = WasmCrypto.create({ flavor });
  const page = new Uint8Array(PAGE_SIZE).map((_, i) => (i * 31 + 7) & 0xff);

  it('sealPage equals the RFC 8439 AEAD (noble) and openPage restores the page', () => {
    const dst = new Uint8Array(PAGE_SIZE), tag = new Uint8Array(16), back = new Uint8Array(PAGE_SIZE);
    c.sealPage(key, nonce, aad, page, dst, tag);
    const want = chacha20poly1305(key, nonce, aad).encrypt(page);
    expect(Buffer.from(dst).equals(Buffer.from(want.subarray(0, PAGE_SIZE)))).toBe(true);
    expect(Buffer.from(tag).equals(Buffer.from(want.subarray(PAGE_SIZE)))).toBe(true);
    expect(c.openPage(key, nonce, aad, dst, tag, back)).toBe(true);
    expect(Buffer.from(back).equals(Buffer.from(page))).toBe(true);
  });

  it('works in place (source and destination the same array)', () => {
    const buf = page.slice(), tag = new Uint8Array(16);
    c.sealPage(key, nonce, aad, buf, buf, tag);
    expect(Buffer.from(buf).equals(Buffer.from(page))).toBe(false);
    expect(c.openPage(key, nonce, aad, buf, tag, buf)).toBe(true);
    expect(Buffer.from(buf).equals(Buffer.from(page))).toBe(true);
  });

  it('a replayed page under another version/page number (AAD) or a moved tag is refused, destination untouched', () => {
    const dst = new Uint8Array(PAGE_SIZE), tag = new Uint8Array(16);
    c.sealPage(key, nonce, aad, page, dst, tag);
    const out = new Uint8Array(PAGE_SIZE).fill(0xee);
    const otherAad = aad.slice();
    otherAad[7] ^= 1;
    expect(c.openPage(key, nonce, otherAad, dst, tag, out)).toBe(false);
    const otherTag = tag.slice();
    otherTag[0] ^= 1;
    expect(c.openPage(key, nonce, aad, dst, otherTag, out)).toBe(false);
    expect(out.every((b) => b === 0xee)).toBe(true);
  });

  it('random sealed pages and tags (a hostile monitor) are refused without throwing or writing', () => {
    const out = new Uint8Array(PAGE_SIZE);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: PAGE_SIZE, maxLength: PAGE_SIZE }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (ct, tag) => {
        out.fill(0xee);
        return c.openPage(key, nonce, aad, ct, tag, out) === false && out.every((b) => b === 0xee);
      }),
      { numRuns: 25 },
    );
  });

  it('rejects wrong sizes with E_CRYPTO_PARAM', () => {
    const dst = new Uint8Array(PAGE_SIZE), tag = new Uint8Array(16);
    expect(code(() => c.sealPage(key.subarray(0, 16), nonce, aad, page, dst, tag))).toBe('E_CRYPTO_PARAM');
    expect(code(() => c.sealPage(key, new Uint8Array(24), aad, page, dst, tag))).toBe('E_CRYPTO_PARAM');
    expect(code(() => c.sealPage(key, nonce, aad, page.subarray(1), dst, tag))).toBe('E_CRYPTO_PARAM');
    expect(code(() => c.sealPage(key, nonce, aad, page, dst, new Uint8Array(12)))).toBe('E_CRYPTO_PARAM');
    expect(code(() => c.sealPage(key, nonce, new Uint8Array(257), page, dst, tag))).toBe('E_CRYPTO_PARAM');
    expect(code(() => c.openPage(key, nonce, aad, page, tag, new Uint8Array(100)))).toBe('E_CRYPTO_PARAM');
  });
});

describe('general API edges', () => {
  const c = WasmCrypto.create();

  it('open of hostile input (any bytes, any length, including shorter than a tag) returns null, never throws', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 40 }), (sealed, ad) =>
        c.open(key, nonce, sealed, ad) === null && c.xopen(key, new Uint8Array(24), sealed, ad) === null),
      { numRuns: 200 },
    );
  });

  it('sealInto/openInto: same bytes as seal/open, no output on failure, wrong output sizes are E_CRYPTO_PARAM', () => {
    const msg = new Uint8Array(1000).map((_, i) => i & 0xff);
    const sealed = new Uint8Array(1016), back = new Uint8Array(1000);
    c.sealInto(key, nonce, msg, sealed, aad);
    expect(Buffer.from(sealed).equals(Buffer.from(c.seal(key, nonce, msg, aad)))).toBe(true);
    expect(c.openInto(key, nonce, sealed, back, aad)).toBe(true);
    expect(Buffer.from(back).equals(Buffer.from(msg))).toBe(true);
    sealed[500] ^= 1;
    back.fill(0xee);
    expect(c.openInto(key, nonce, sealed, back, aad)).toBe(false);
    expect(back.every((b) => b === 0xee)).toBe(true);
    expect(code(() => c.sealInto(key, nonce, msg, new Uint8Array(1000), aad))).toBe('E_CRYPTO_PARAM');
    expect(code(() => c.openInto(key, nonce, sealed, new Uint8Array(1016), aad))).toBe('E_CRYPTO_PARAM');
  });

  it('rejects wrong key and nonce sizes and non-byte inputs with E_CRYPTO_PARAM', () => {
    expect(code(() => c.seal(new Uint8Array(31), nonce, aad))).toBe('E_CRYPTO_PARAM');
    expect(code(() => c.seal(key, new Uint8Array(8), aad))).toBe('E_CRYPTO_PARAM');
    expect(code(() => c.xseal(key, nonce, aad))).toBe('E_CRYPTO_PARAM');
    expect(code(() => c.seal(key, nonce, 'text' as unknown as Uint8Array))).toBe('E_CRYPTO_PARAM');
    expect(code(() => c.hkdfExpand(key, aad, 255 * 32 + 1))).toBe('E_CRYPTO_PARAM');
    expect(code(() => c.hkdfExpand(key, aad, 1.5))).toBe('E_CRYPTO_PARAM');
    expect(code(() => c.hkdfExpand(key, aad, -1))).toBe('E_CRYPTO_PARAM');
  });

  it('grows memory for large messages and keeps the page path working afterwards', () => {
    const big = new Uint8Array(3 * 1024 * 1024).fill(5);
    const sealed = c.seal(key, nonce, big, aad);
    expect(Buffer.from(c.open(key, nonce, sealed, aad) ?? []).equals(Buffer.from(big))).toBe(true);
    const page = new Uint8Array(PAGE_SIZE).fill(3), dst = new Uint8Array(PAGE_SIZE), tag = new Uint8Array(16);
    c.sealPage(key, nonce, aad, page, dst, tag);
    expect(Buffer.from(dst).equals(Buffer.from(sealed.subarray(0, PAGE_SIZE)))).toBe(false);
    const back = new Uint8Array(PAGE_SIZE);
    expect(c.openPage(key, nonce, aad, dst, tag, back)).toBe(true);
    expect(back.every((b) => b === 3)).toBe(true);
  });

  it('hash streams: misuse is a typed error, and contexts are returned', () => {
    const s = c.sha256Stream();
    s.update(aad);
    s.digest();
    expect(code(() => s.update(aad))).toBe('E_CRYPTO_STATE');
    expect(code(() => s.digest())).toBe('E_CRYPTO_STATE');
    const open = Array.from({ length: 16 }, () => c.sha256Stream());
    expect(code(() => c.hmacSha256Stream(key))).toBe('E_CRYPTO_BUSY');
    open[0]!.dispose();
    expect(c.hmacSha256(key, aad)).toHaveLength(32);
    for (const o of open) o.dispose();
  });
});

describe('loading the core', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'emon-crypto-'));

  it('a missing core file is E_CRYPTO_CORE_MISSING with a build hint', () => {
    expect(code(() => WasmCrypto.create({ flavor: 'scalar', file: path.join(dir, 'absent.wasm') }))).toBe('E_CRYPTO_CORE_MISSING');
  });

  it('a truncated or corrupted core is E_CRYPTO_CORE_INVALID', () => {
    const good = readFileSync(coreModulePath('scalar'));
    const truncated = path.join(dir, 'truncated.wasm');
    writeFileSync(truncated, good.subarray(0, good.length >> 1));
    expect(code(() => WasmCrypto.create({ flavor: 'scalar', file: truncated }))).toBe('E_CRYPTO_CORE_INVALID');
    fc.assert(
      fc.property(fc.integer({ min: 8, max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const bad = Buffer.from(good);
        bad[at]! ^= x;
        const f = path.join(dir, 'flipped.wasm');
        writeFileSync(f, bad);
        const result = code(() => WasmCrypto.create({ flavor: 'scalar', file: f }));
        // A flip may land in data and still give a valid module; it must never be an untyped crash.
        return result === undefined || result === 'E_CRYPTO_CORE_INVALID';
      }),
      { numRuns: 30 },
    );
  });

  it('a valid module that is not the core is E_CRYPTO_CORE_INVALID', () => {
    const empty = path.join(dir, 'empty.wasm');
    writeFileSync(empty, Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
    expect(code(() => WasmCrypto.create({ flavor: 'scalar', file: empty }))).toBe('E_CRYPTO_CORE_INVALID');
  });

  it('the core imports nothing from the host and exports no allocator (primitives work on caller memory only)', () => {
    for (const flavor of flavors) {
      const module = new WebAssembly.Module(readFileSync(coreModulePath(flavor)));
      expect(WebAssembly.Module.imports(module), flavor).toEqual([]);
      const names = WebAssembly.Module.exports(module).map((e) => e.name);
      expect(names.filter((n) => /^__(new|alloc|pin|collect|renew)/.test(n)), flavor).toEqual([]);
    }
  });

  it('picks the SIMD build by default on an engine with Wasm SIMD (Node 20 has it)', () => {
    expect(engineSupportsSimd()).toBe(true);
    expect(WasmCrypto.create().flavor).toBe('simd');
  });

  it('the SIMD build uses v128 and the scalar build does not', () => {
    const hasSimdOpcode = (b: Uint8Array): boolean => b.some((x, i) => x === 0xfd && b[i + 1] === 0x0c);
    expect(hasSimdOpcode(readFileSync(coreModulePath('simd')))).toBe(true);
    expect(hasSimdOpcode(readFileSync(coreModulePath('scalar')))).toBe(false);
  });
});

describe('trust boundary', () => {
  it('trusted crypto never imports node:crypto', () => {
    const root = path.resolve(__dirname, '..', '..');
    for (const dir of ['runtime/hw/crypto', 'enclaves/lib']) {
      for (const f of readdirSync(path.join(root, dir)).filter((n) => n.endsWith('.ts'))) {
        expect(readFileSync(path.join(root, dir, f), 'utf8'), `${dir}/${f}`).not.toMatch(/from\s+['"](node:)?crypto['"]/);
      }
    }
  });
});
