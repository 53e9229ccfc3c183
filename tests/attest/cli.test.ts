/**
 * `emon attest` and `emon verifier serve` as a user runs them (issue 16 points 3 and 4, attack list in the CLI):
 * evidence fetched on one platform verifies offline with the manufacturer's collateral, bound to the nonce and
 * key; every refusal exits 1 with its reason code and no stack trace; bad arguments are named; the service
 * starts on loopback and answers a new session; every new command has --help.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { emon as run, root } from '../cli/helpers.js';
import { tmp } from './helpers.js';

const dir = tmp('emon-att-cli-');
const env = { EMON_STATE_DIR: path.join(dir, 'platform'), EMON_CA_DIR: path.join(dir, 'ca'), EMON_VERIFIER_DIR: path.join(dir, 'verifier') };
Object.assign(process.env, env);
const emon = (args: string[]) => run(args, { timeoutMs: 60000 });
const f = (n: string) => path.join(dir, n);
const nonce = randomBytes(32).toString('hex');
const col = ['--root', f('col/root-ca.pem'), '--tcb-info', f('col/tcb-info.json'), '--tcb-chain', f('col/tcb-chain.pem'), '--qe-identity', f('col/qe-identity.json')];
const refused = (r: { status: number; stderr: string }, code: string) => {
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`evidence refused: ${code}`);
  expect(r.stderr).not.toMatch(/\n\s+at /);
};

describe('emon attest', () => {
  it('fetches a quote, writes collateral, shows and verifies it bound to the nonce and key, and writes an EAR', () => {
    expect(emon(['attest', 'fetch', '-o', f('q.bin'), '--nonce', nonce]).status).toBe(0);
    expect(emon(['attest', 'collateral', '-o', f('col')]).status).toBe(0);
    const show = emon(['attest', 'show', f('q.bin'), '--json']);
    expect(JSON.parse(show.stdout)).toMatchObject({ type: 'sgx-quote', version: 3, attestationKeyType: 2, isvSvn: 3, certificationDataType: 5 });
    const mrenclave = JSON.parse(show.stdout).mrenclave as string;
    writeFileSync(f('refs.json'), JSON.stringify({ sgx: [{ mrenclave, minIsvSvn: 3 }] }));
    const v = emon(['attest', 'verify', f('q.bin'), ...col, '--reference', f('refs.json'), '--nonce', nonce, '--bound-key', f('q.bin.key'), '--json', '--ear', f('ear.jwt')]);
    expect(v.status).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ status: 'affirming', claims: { tcbStatus: 'UpToDate' } });
    const ear = emon(['attest', 'check-ear', f('ear.jwt')]);
    expect(JSON.parse(ear.stdout).submods.SGX['ear.status']).toBe('affirming');
  });

  it('refuses replayed nonces, other keys, raised SVN minimums, truncated quotes, tampered EARs, each with its code', () => {
    refused(emon(['attest', 'verify', f('q.bin'), ...col, '--nonce', randomBytes(32).toString('hex')]), 'E_ATTEST_NONCE');
    refused(emon(['attest', 'verify', f('q.bin'), ...col, '--bound-key', '11'.repeat(32)]), 'E_ATTEST_BINDING');
    const mrenclave = JSON.parse(readFileSync(f('refs.json'), 'utf8')).sgx[0].mrenclave;
    writeFileSync(f('refs4.json'), JSON.stringify({ sgx: [{ mrenclave, minIsvSvn: 4 }] }));
    refused(emon(['attest', 'verify', f('q.bin'), ...col, '--reference', f('refs4.json')]), 'E_ATTEST_SVN');
    writeFileSync(f('trunc.bin'), readFileSync(f('q.bin')).subarray(0, 700));
    refused(emon(['attest', 'verify', f('trunc.bin'), ...col]), 'E_ATTEST_MALFORMED');
    const q = readFileSync(f('q.bin'));
    q[48 + 70]! ^= 1;
    writeFileSync(f('forged.bin'), q);
    refused(emon(['attest', 'verify', f('forged.bin'), ...col]), 'E_ATTEST_SIGNATURE');
    const jwt = readFileSync(f('ear.jwt'), 'utf8').trim().split('.');
    writeFileSync(f('bad.jwt'), `${jwt[0]}.${Buffer.from('{"eat_profile":"tag:github.com,2023:veraison/ear"}').toString('base64url')}.${jwt[2]}`);
    const e = emon(['attest', 'check-ear', f('bad.jwt')]);
    expect(e.status).toBe(1);
    expect(e.stderr).toContain('attestation result (EAR) signature does not verify');
  });

  it('verifies a PSA token with the device key, and refuses it under another key', () => {
    expect(emon(['attest', 'fetch', '--type', 'psa-token', '-o', f('t.cbor'), '--nonce', nonce]).status).toBe(0);
    const ok = emon(['attest', 'verify', f('t.cbor'), '--key', f('col/psa-device.pem'), '--nonce', nonce, '--bound-key', f('t.cbor.key'), '--json']);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).claims.lifecycle).toBe('secured');
    writeFileSync(f('policy.json'), JSON.stringify({ requireKeyBinding: true }));
    refused(emon(['attest', 'verify', f('t.cbor'), '--key', f('col/psa-device.pem'), '--policy', f('policy.json')]), 'E_ATTEST_BINDING');
    const other = tmp('emon-att-cli-other-');
    expect(run(['attest', 'collateral', '-o', other, '--state-dir', path.join(other, 'p')]).status).toBe(0);
    refused(emon(['attest', 'verify', f('t.cbor'), '--key', path.join(other, 'psa-device.pem')]), 'E_ATTEST_SIGNATURE');
  });

  it('names bad arguments and inputs', () => {
    const bad = [
      [['attest', 'verify', f('q.bin')], /needs the manufacturer root/],
      [['attest', 'verify', f('t.cbor')], /needs the device public key/],
      [['attest', 'verify', '/dev/zero', '--root', 'x'], /not a regular file/],
      [['attest', 'verify', f('refs.json'), '--root', 'x'], /neither an SGX quote v3/],
      [['attest', 'verify', f('q.bin'), '--nonce', 'abc'], /expected 64 hex digits/],
      [['attest', 'verify', f('q.bin'), '--type', 'tdx'], /expected sgx-quote or psa-token/],
      [['attest', 'verify', f('q.bin'), ...col, '--policy', f('refs.json'), '--reference', f('nope.json')], /cannot read reference values/],
      [['verifier', 'serve', '--port', '70000'], /expected a whole number 0..65535/],
    ] as const;
    for (const [args, msg] of bad) {
      const r = emon([...args]);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    writeFileSync(f('badpolicy.json'), '{"allowDebug": "yes"}');
    const p = emon(['attest', 'verify', f('q.bin'), ...col, '--policy', f('badpolicy.json')]);
    expect(p.stderr).toMatch(/"allowDebug" must be true or false/);
  });

  it('has --help for every new command', () => {
    for (const c of [['attest'], ['attest', 'fetch'], ['attest', 'show'], ['attest', 'verify'], ['attest', 'collateral'], ['attest', 'check-ear'], ['verifier'], ['verifier', 'serve']]) {
      const r = emon([...c, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/Usage: emon/);
    }
  });

  it('emon verifier serve listens on loopback and opens sessions with its own nonce', async () => {
    const child = spawn(process.execPath, [path.join(root, 'dist', 'runtime', 'cli', 'main.js'), 'verifier', 'serve', '--port', '0', '--state', f('vstate')], { env: { ...process.env } });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out);
        });
        child.on('exit', (c) => reject(new Error(`exited ${c}`)));
      });
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(line)![0];
      const r = await fetch(`${url}/challenge-response/v1/newSession`, { method: 'POST' });
      expect(r.status).toBe(201);
      expect(Buffer.from(((await r.json()) as { nonce: string }).nonce, 'base64').length).toBe(32);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
