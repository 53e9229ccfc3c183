/**
 * EGETKEY and EREPORT (issue 5 points 5-6) and the platform root secrets: SVN rules, policy separation, report
 * MACs that only the target can check, and state files created private, atomically and never overwritten.
 */
import { execFile } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../../../runtime/paths.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { isEmonError } from '../../../runtime/errors.js';
import { egetkey, EGETKEY_INVALID_ISVSVN, EGETKEY_INVALID_KEYNAME, KEYNAME_REPORT, KEYNAME_SEAL, POLICY_MRENCLAVE, POLICY_MRSIGNER } from '../../../runtime/hw/sgx/egetkey.js';
import { ereport, verifyReportFor } from '../../../runtime/hw/sgx/ereport.js';
import type { EnclaveIdentity } from '../../../runtime/hw/sgx/identity.js';
import { loadPlatform } from '../../../runtime/hw/sgx/platform.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'emon-keys-'));
const id = (over: Partial<EnclaveIdentity> = {}): EnclaveIdentity => ({
  mrenclave: new Uint8Array(32).fill(1),
  mrsigner: new Uint8Array(32).fill(2),
  isvProdId: 1,
  isvSvn: 3,
  attributes: 5,
  ...over,
});
const keyId = new Uint8Array(32).fill(9);
const hex = (k: Uint8Array | number) => (typeof k === 'number' ? k : Buffer.from(k).toString('hex'));

describe('platform root secrets', () => {
  it('are created 0700/0600 on first use and read back unchanged', () => {
    const d = path.join(dir(), 'state');
    const p = loadPlatform(d);
    expect(statSync(d).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(d, 'sgx-root.key')).mode & 0o777).toBe(0o600);
    const bytes = readFileSync(path.join(d, 'sgx-root.key'));
    expect(new Uint8Array(bytes.subarray(0, 32))).toEqual(p.sealRoot);
  });

  it('processes starting together on a fresh state dir all end up with the same secrets', async () => {
    const d = path.join(dir(), 'race');
    const mod = pathToFileURL(path.join(projectRoot, 'dist', 'runtime', 'hw', 'sgx', 'platform.js')).href;
    const script = `import(${JSON.stringify(mod)}).then((m) => process.stdout.write(Buffer.from(m.loadPlatform(${JSON.stringify(d)}).sealRoot).toString('hex')))`;
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => new Promise<string>((resolve, reject) => {
        execFile(process.execPath, ['-e', script], (err, stdout) => (err ? reject(err) : resolve(stdout)));
      })),
    );
    expect(new Set(runs).size).toBe(1);
    expect(runs[0]).toBe(Buffer.from(readFileSync(path.join(d, 'sgx-root.key')).subarray(0, 32)).toString('hex'));
  });

  it('a damaged or world-readable file is refused, not replaced', () => {
    const d = dir();
    writeFileSync(path.join(d, 'sgx-root.key'), Buffer.alloc(10), { mode: 0o600 });
    expect(() => loadPlatform(d)).toThrow(/damaged/);
    expect(readFileSync(path.join(d, 'sgx-root.key')).length).toBe(10);
    const e = dir();
    writeFileSync(path.join(e, 'sgx-root.key'), Buffer.alloc(64), { mode: 0o600 });
    chmodSync(path.join(e, 'sgx-root.key'), 0o644);
    try {
      loadPlatform(e);
      throw new Error('accepted');
    } catch (err) {
      expect(isEmonError(err, 'E_PLATFORM_STATE')).toBe(true);
    }
  });
});

describe('platform root secrets behind a dangling link', () => {
  it('is a typed error naming the file; the link is left as it was and nothing new is created', () => {
    const d = dir();
    const file = path.join(d, 'sgx-root.key');
    const target = path.join(d, 'moved-away.key');
    symlinkSync(target, file);
    try {
      loadPlatform(d);
      throw new Error('accepted');
    } catch (err) {
      expect(isEmonError(err, 'E_PLATFORM_STATE'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(/sgx-root\.key exist but cannot be read/);
    }
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    expect(readlinkSync(file)).toBe(target);
    expect(readdirSync(d)).toEqual(['sgx-root.key']);
  });
});

describe('EGETKEY', () => {
  const p = loadPlatform(dir());
  const seal = (who: EnclaveIdentity, policy: number, svn: number) => hex(egetkey(p, who, { keyName: KEYNAME_SEAL, keyPolicy: policy, isvSvn: svn, keyId }));

  it('an enclave gets seal keys for its own SVN and older ones, never newer', () => {
    expect(seal(id(), POLICY_MRSIGNER, 3)).not.toBe(seal(id(), POLICY_MRSIGNER, 2));
    expect(seal(id({ isvSvn: 5 }), POLICY_MRSIGNER, 3)).toBe(seal(id(), POLICY_MRSIGNER, 3));
    expect(seal(id(), POLICY_MRSIGNER, 4)).toBe(EGETKEY_INVALID_ISVSVN);
  });

  it('MRENCLAVE keys follow MRENCLAVE; MRSIGNER keys follow signer and product, not MRENCLAVE', () => {
    const other = id({ mrenclave: new Uint8Array(32).fill(7) });
    expect(seal(other, POLICY_MRENCLAVE, 3)).not.toBe(seal(id(), POLICY_MRENCLAVE, 3));
    expect(seal(other, POLICY_MRSIGNER, 3)).toBe(seal(id(), POLICY_MRSIGNER, 3));
    expect(seal(id({ isvProdId: 2 }), POLICY_MRSIGNER, 3)).not.toBe(seal(id(), POLICY_MRSIGNER, 3));
    expect(seal(id({ mrsigner: new Uint8Array(32) }), POLICY_MRSIGNER, 3)).not.toBe(seal(id(), POLICY_MRSIGNER, 3));
    expect(seal(id({ attributes: 7 }), POLICY_MRSIGNER, 3)).not.toBe(seal(id(), POLICY_MRSIGNER, 3));
    expect(seal(id(), POLICY_MRENCLAVE, 3)).not.toBe(seal(id(), POLICY_MRSIGNER, 3));
    expect(hex(egetkey(p, id(), { keyName: 99, keyPolicy: 1, isvSvn: 0, keyId }))).toBe(EGETKEY_INVALID_KEYNAME);
  });

  it('keys differ between platforms', () => {
    const q = loadPlatform(dir());
    expect(hex(egetkey(q, id(), { keyName: KEYNAME_SEAL, keyPolicy: POLICY_MRSIGNER, isvSvn: 3, keyId }))).not.toBe(seal(id(), POLICY_MRSIGNER, 3));
  });
});

describe('EREPORT', () => {
  const p = loadPlatform(dir());
  const a = id();
  const b = id({ mrenclave: new Uint8Array(32).fill(0xb) });
  const data = new Uint8Array(64).fill(0x42);

  it('a report for B verifies with B’s report key only, and any change breaks it', () => {
    const r = ereport(p, a, b, data);
    expect(verifyReportFor(p, b, r)).toBe(true);
    expect(verifyReportFor(p, a, r)).toBe(false);
    expect(verifyReportFor(loadPlatform(dir()), b, r)).toBe(false);
    for (let i = 0; i < r.length; i++) {
      const bad = r.slice();
      bad[i]! ^= 1;
      expect(verifyReportFor(p, b, bad)).toBe(false);
    }
  });

  it('the report key is what EGETKEY(REPORT) gives the target', () => {
    const r = ereport(p, a, b, data);
    const k = egetkey(p, b, { keyName: KEYNAME_REPORT, keyPolicy: 0, isvSvn: 0, keyId: r.slice(144, 176) });
    expect(hmac(sha256, k as Uint8Array, r.subarray(0, 144))).toEqual(r.subarray(176, 208));
  });
});
