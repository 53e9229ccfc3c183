/**
 * The build's rebuild decision (issue 10): an output is reused only when the digest of all its inputs is the
 * one recorded beside it, so a change to any input — content, not timestamp — rebuilds it; and a signed
 * enclave's inputs include the emon code that generates its bridge and signs it.
 */
import { mkdirSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesUnder, inputsDigest, recordInputs, upToDate } from '../../runtime/build/inputs.js';
import { devKeyFile, enclaveInputs, enclaveOutDir } from '../../runtime/build/steps/30-enclaves.js';
import { packageVersion } from '../../runtime/build/inputs.js';
import { projectRoot } from '../../runtime/paths.js';

describe('inputs digest', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'emon-inputs-'));
  const src = path.join(dir, 'src');
  mkdirSync(src);
  writeFileSync(path.join(src, 'a.ts'), 'export const a = 1;');
  const extra = path.join(dir, 'signing.js');
  writeFileSync(extra, 'sign();');

  it('is stable, and changes with any content, even when the timestamp is put back', () => {
    const d0 = inputsDigest([src, extra]);
    expect(inputsDigest([src, extra])).toBe(d0);
    const before = statSync(extra);
    writeFileSync(extra, 'sign(); // changed');
    utimesSync(extra, before.atime, before.mtime);
    expect(inputsDigest([src, extra])).not.toBe(d0);
    writeFileSync(extra, 'sign();');
    expect(inputsDigest([src, extra])).toBe(d0);
  });

  it('changes when a file is added or renamed, a setting changes, or an input goes missing', () => {
    const d0 = inputsDigest([src, extra], ['asc@1']);
    writeFileSync(path.join(src, 'b.ts'), '');
    const d1 = inputsDigest([src, extra], ['asc@1']);
    expect(d1).not.toBe(d0);
    expect(inputsDigest([src, extra], ['asc@2'])).not.toBe(d1);
    expect(inputsDigest([src, path.join(dir, 'gone.js')], ['asc@1'])).not.toBe(d1);
  });

  it('generated/ folders are outputs, not inputs', () => {
    const d0 = inputsDigest([src]);
    mkdirSync(path.join(src, 'generated'), { recursive: true });
    writeFileSync(path.join(src, 'generated', 'x_t.ts'), '// generated');
    expect(inputsDigest([src])).toBe(d0);
    expect(filesUnder(src).some((f) => f.includes('generated'))).toBe(false);
  });

  it('upToDate: only with every output present and the recorded digest equal', () => {
    const out = path.join(dir, 'x.wasm');
    const other = path.join(dir, 'x.unsigned.wasm');
    expect(upToDate('d1', out)).toBe(false);
    writeFileSync(out, 'wasm');
    expect(upToDate('d1', out)).toBe(false);
    recordInputs('d1', out);
    expect(upToDate('d1', out)).toBe(true);
    expect(upToDate('d2', out)).toBe(false);
    expect(upToDate('d1', out, other)).toBe(false);
    writeFileSync(other, 'wasm');
    expect(upToDate('d1', out, other)).toBe(true);
  });
});

describe('the enclave step', () => {
  const dir = path.join(projectRoot, 'enclaves', 'gatetest');
  const edl = path.join(dir, 'gatetest.edl');

  it("a signed enclave's inputs include the signing, measurement and EDL generator code, the SDK, the library and the key", () => {
    const rel = enclaveInputs(dir, edl).map((p) => path.relative(projectRoot, p));
    for (const want of [
      'enclaves/gatetest', 'enclaves/gatetest/gatetest.edl', 'enclaves/lib', 'enclaves/sdk', path.relative(projectRoot, devKeyFile),
      'dist/runtime/enclave/signing.js', 'dist/runtime/hw/sgx/sigstruct.js', 'dist/runtime/hw/sgx/measurement.js',
      'dist/runtime/enclave/edl', 'dist/runtime/build/steps/30-enclaves.js',
    ]) {
      expect(rel).toContain(want);
    }
  });

  it('after `npm run build`, the recorded digest of build/enclaves/gatetest.wasm is the digest of those inputs', () => {
    const recorded = readFileSync(path.join(enclaveOutDir, 'gatetest.wasm.inputs'), 'utf8').trim();
    expect(recorded).toBe(inputsDigest(enclaveInputs(dir, edl), [packageVersion('assemblyscript')]));
  });
});
