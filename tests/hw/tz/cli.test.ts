/**
 * TrustZone from the command line (compiled CLI in dist/): `emon ta build/inspect` (--help, a TA built with a
 * fresh key and run from its own TA directory, a tampered TA refused with TEE_ERROR_SECURITY), `emon run
 * --backend=tz` with the TrustZone options, the same EDL guest on both backends, and bad options named.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emon, guests, root } from '../../cli/helpers.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'emon-tzcli-'));

describe('emon ta / emon run --backend=tz', () => {
  it('every new command has --help, and emon run --help lists the TrustZone options', () => {
    for (const args of [['ta', '--help'], ['ta', 'build', '--help'], ['ta', 'inspect', '--help']]) {
      const r = emon(args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: emon ta/);
    }
    const run = emon(['run', '--help']);
    expect(run.stdout).toContain('--secure-mem=SIZE');
    expect(run.stdout).toContain('--ta-dir=DIR');
    expect(run.stdout).toContain('--secure:NAME=VALUE');
  });

  it('builds and signs a TA with a fresh key into a TA directory, inspects it, and a guest uses it from there', () => {
    const d = tmp();
    const key = path.join(d, 'ta.key');
    expect(emon(['enclave', 'keygen', key]).status).toBe(0);
    const tas = path.join(d, 'tas');
    const built = emon(['ta', 'build', path.join(root, 'enclaves', 'ta-hello'), '-k', key, '-o', tas], { timeoutMs: 120000 });
    expect(built.status, built.stderr).toBe(0);
    expect(readdirSync(tas)).toEqual(['8aaaf200-2450-11e4-abe2-0002a5d5c51b.ta']);
    const info = JSON.parse(emon(['ta', 'inspect', '--json', path.join(tas, '8aaaf200-2450-11e4-abe2-0002a5d5c51b.ta')]).stdout) as Record<string, unknown>;
    expect(info['uuid']).toBe('8aaaf200-2450-11e4-abe2-0002a5d5c51b');
    expect(info['stackSize']).toBe(16384);
    const run = emon(['run', '--backend=tz', `--ta-dir=${tas}`, path.join(guests, 'tee-hello.wasm')]);
    expect(run.stdout).toContain('TA incremented value to 43');
    expect(run.status).toBe(0);
    // One flipped byte: the secure world refuses to load it, the guest sees TEEC_ERROR_SECURITY from the TEE.
    const file = path.join(tas, '8aaaf200-2450-11e4-abe2-0002a5d5c51b.ta');
    const bytes = readFileSync(file);
    bytes[bytes.length - 300]! ^= 1;
    writeFileSync(file, bytes);
    const bad = emon(['run', '--backend=tz', `--ta-dir=${tas}`, path.join(guests, 'tee-hello.wasm')]);
    expect(bad.stdout).toContain('TEEC_OpenSession failed with code 0xffff000f origin 0x3');
    expect(bad.stderr).toMatch(/TEE_ERROR_SECURITY .*TA load failed/);
    expect(bad.status).toBe(1);
  });

  it('the same sealing guest runs unchanged with --backend sgx and --backend tz', () => {
    for (const backend of ['sgx', 'tz']) {
      const d = tmp();
      const args = ['run', `--backend=${backend}`, `--state-dir=${path.join(d, 'state')}`, `--enclave:sealer=${path.join(root, 'build', 'enclaves', 'sealer.wasm')}`, `--block:storage=${path.join(d, 'disk.img')},size=64K`, path.join(guests, 'enclave-seal.wasm')];
      expect(emon(args).stdout).toContain('sealed a new secret');
      const second = emon(args);
      expect(second.stdout, backend).toMatch(/unsealed: the treasure is under the third palm/);
      expect(second.status).toBe(0);
    }
  });

  it('bad TrustZone arguments are named, with a hint, and no stack trace', () => {
    const cases: Array<[string[], RegExp]> = [
      [['run', '--backend=tz', '--secure-mem=12', path.join(guests, 'tee-hello.wasm')], /--secure-mem=12: expected a size/],
      [['run', '--backend=tz', '--ta-dir=/nonexistent', '--secure:keypad=/etc/hostname', path.join(guests, 'tee-pin.wasm')], /--ta-dir=\/nonexistent: not a directory/],
      [['run', '--backend=arm', path.join(guests, 'hello.wasm')], /--backend=arm: expected sgx or tz/],
      [['ta', 'build', '/nonexistent', '-k', '/nonexistent.key'], /cannot read signer key|not a folder/],
      [['ta', 'inspect', '/nonexistent.ta'], /cannot read TA \/nonexistent\.ta: ENOENT/],
      [['ta', 'inspect', path.join(guests, 'hello.wasm')], /not signed|no TA properties/],
    ];
    for (const [args, re] of cases) {
      const r = emon(args);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(re);
      expect(r.stderr).toMatch(/^emon: /m);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

