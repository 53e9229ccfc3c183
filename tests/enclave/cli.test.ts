/**
 * `emon enclave` and `emon edl` as a user runs them (compiled CLI in dist/): keygen → sign → measure agree,
 * inspect reports a tampered module, errors name the bad input and exit non-zero.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDir, projectRoot } from '../../runtime/paths.js';

const cli = path.join(projectRoot, 'dist', 'runtime', 'cli', 'main.js');
const emon = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('emon enclave / emon edl', () => {
  const d = mkdtempSync(path.join(tmpdir(), 'emon-cli-'));

  it('keygen, sign, measure and inspect agree on MRENCLAVE and MRSIGNER', () => {
    const key = path.join(d, 'k.key');
    const kg = emon('enclave', 'keygen', key);
    expect(kg.status).toBe(0);
    const mrsigner = /mrsigner: ([0-9a-f]{64})/.exec(kg.stdout)![1];
    const mod = path.join(d, 'e.wasm');
    copyFileSync(path.join(buildDir, 'enclaves', 'sealer.unsigned.wasm'), mod);
    const sign = emon('enclave', 'sign', '--key', key, '--edl', path.join(projectRoot, 'enclaves/sealer/sealer.edl'), '--svn', '4', mod);
    expect(sign.status, sign.stderr).toBe(0);
    const mrenclave = /mrenclave: ([0-9a-f]{64})/.exec(sign.stdout)![1];
    expect(emon('enclave', 'measure', mod).stdout.trim()).toBe(mrenclave);
    expect(emon('enclave', 'measure', '--svn', '5', mod).stdout.trim()).not.toBe(mrenclave);
    const info = JSON.parse(emon('enclave', 'inspect', '--json', mod).stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ mrenclave, mrsigner, isvSvn: 4, measurementMatches: true, signatureValid: true });
    expect((info['ecalls'] as string[])[0]).toMatch(/^public seal_data/);
    const detached = path.join(d, 'detached.wasm');
    expect(emon('enclave', 'sign', '--key', key, '--detached', '-o', detached, mod).status).toBe(0);
    expect(existsSync(`${detached}.sig`)).toBe(true);
    expect(JSON.parse(emon('enclave', 'inspect', '--json', detached).stdout)).toMatchObject({ mrenclave, signatureValid: true, measurementMatches: true });
    const bytes = readFileSync(mod);
    bytes[40]! ^= 1;
    writeFileSync(mod, bytes);
    const bad = emon('enclave', 'inspect', '--json', mod);
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ measurementMatches: false });
  });

  it('errors name the input and exit non-zero', () => {
    const r = emon('enclave', 'sign', '--key', path.join(d, 'missing.key'), path.join(d, 'x.wasm'));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^emon: cannot read enclave .*x\.wasm/);
    const e = path.join(d, 'bad.edl');
    writeFileSync(e, 'enclave {\n trusted { public int f(int* p); };\n};\n');
    const g = emon('edl', 'gen', e, '--out', path.join(d, 'gen'));
    expect(g.status).toBe(1);
    expect(g.stderr).toContain('bad.edl:2:30: pointer parameter');
    expect(emon('enclave', 'sign', '--help').stdout).toContain('--detached');
  });

  it('edl gen into a path that is a file is a named error', () => {
    const file = path.join(d, 'plain-file');
    writeFileSync(file, 'x');
    const r = emon('edl', 'gen', path.join(projectRoot, 'enclaves/gatetest/gatetest.edl'), '--out', file);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^emon: cannot write the stubs of gatetest\.edl into .*plain-file: EEXIST/);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('edl gen writes the three stubs', () => {
    const out = path.join(d, 'gen2');
    execFileSync(process.execPath, [cli, 'edl', 'gen', path.join(projectRoot, 'enclaves/gatetest/gatetest.edl'), '--out', out]);
    for (const f of ['gatetest_u.ts', 'gatetest_u.h', 'gatetest_t.ts']) expect(existsSync(path.join(out, f))).toBe(true);
  });

  it('sign: an unreadable --edl, .sig or output path is a named error, and no partial file is left', () => {
    const key = path.join(d, 'k3.key');
    expect(emon('enclave', 'keygen', key).status).toBe(0);
    const dir = path.join(d, 'out3');
    mkdirSync(dir);
    const mod = path.join(d, 'e3.wasm');
    copyFileSync(path.join(buildDir, 'enclaves', 'sealer.unsigned.wasm'), mod);
    const edl = path.join(projectRoot, 'enclaves/sealer/sealer.edl');
    const noEdl = emon('enclave', 'sign', '--key', key, '--edl', path.join(d, 'missing.edl'), mod);
    expect(noEdl.status).toBe(1);
    expect(noEdl.stderr).toMatch(/^emon: cannot read EDL file .*missing\.edl: ENOENT/);
    expect(emon('enclave', 'sign', '--key', key, '--edl', dir, mod).stderr).toMatch(/^emon: cannot read EDL file .*out3: EISDIR/);
    for (const out of [dir, path.join(d, 'nowhere', 'x.wasm')]) {
      const r = emon('enclave', 'sign', '--key', key, '--edl', edl, '-o', out, mod);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^emon: cannot write /);
      expect(r.stderr).not.toContain('internal error');
    }
    expect(readdirSync(d).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    // --detached writes two files: when the SIGSTRUCT cannot be placed, the module is not written either.
    const det = path.join(d, 'det3.wasm');
    mkdirSync(`${det}.sig`);
    const r = emon('enclave', 'sign', '--key', key, '--edl', edl, '--detached', '-o', det, mod);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^emon: cannot write .*det3\.wasm\.sig: EISDIR/);
    expect(existsSync(det)).toBe(false);
    expect(readdirSync(d).filter((f) => f.includes('.tmp-'))).toEqual([]);
    mkdirSync(`${mod}.sig`);
    const sig = emon('enclave', 'inspect', mod);
    expect(sig.status).toBe(1);
    expect(sig.stderr).toMatch(/^emon: cannot read SIGSTRUCT .*e3\.wasm\.sig: EISDIR/);
  });

  it('keygen keeps an existing key unless --force, names a folder as one', () => {
    const key = path.join(d, 'kk.key');
    expect(emon('enclave', 'keygen', key).status).toBe(0);
    const before = readFileSync(key, 'utf8');
    const again = emon('enclave', 'keygen', key);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^emon: cannot write signer key .*kk\.key: the file exists/);
    expect(readFileSync(key, 'utf8')).toBe(before);
    const dir = path.join(d, 'keydir');
    mkdirSync(dir);
    expect(emon('enclave', 'keygen', dir).stderr).toMatch(/^emon: cannot write signer key .*keydir: it is a directory/);
    expect(emon('enclave', 'keygen', '--force', dir).stderr).toMatch(/^emon: cannot write signer key .*keydir: it is a directory/);
    const forced = emon('enclave', 'keygen', '--force', key);
    expect(forced.status).toBe(0);
    const after = readFileSync(key, 'utf8');
    expect(after).not.toBe(before);
    expect(after).toMatch(/^-----BEGIN EMON ENCLAVE SIGNING KEY-----\n[A-Za-z0-9+/=]{44}\n-----END/);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readdirSync(d).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('measure and sign refuse a config EINIT would refuse (0 threads, 0 heap pages)', () => {
    const mod = path.join(buildDir, 'enclaves', 'sealer.wasm');
    for (const opt of [['--threads', '0'], ['--heap-pages', '0'], ['--svn', '']]) {
      const r = emon('enclave', 'measure', ...opt, mod);
      expect(r.status, opt.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/argument .* is invalid/);
      expect(r.stdout).toBe('');
    }
  });
});
