/**
 * Every path the monitor and its tools read goes through one check (runtime/files.ts, issue 10 defect 5): a
 * FIFO, a device (or a link to one) or a folder is refused at once with the path named, never read forever.
 * The case that hung: a FIFO or a link to /dev/zero as an enclave's neighbouring `.sig`.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRegularFile } from '../../runtime/files.js';
import { emon, guests, root } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'emon-regular-'));
const fifo = (name: string): string => {
  const p = path.join(dir, name);
  execFileSync('mkfifo', [p]);
  return p;
};
const zeroLink = (name: string): string => {
  const p = path.join(dir, name);
  symlinkSync('/dev/zero', p);
  return p;
};

describe('readRegularFile', () => {
  it('reads a regular file (and a link to one)', () => {
    const f = path.join(dir, 'plain.txt');
    writeFileSync(f, 'hello');
    symlinkSync(f, path.join(dir, 'plain-link'));
    expect(readRegularFile(f, 'utf8')).toBe('hello');
    expect(readRegularFile(path.join(dir, 'plain-link')).toString()).toBe('hello');
  });

  it('refuses a FIFO, a link to /dev/zero, a device and a folder without blocking', () => {
    for (const p of [fifo('r.fifo'), zeroLink('r.zero'), '/dev/null']) {
      expect(() => readRegularFile(p)).toThrow(expect.objectContaining({ code: 'not a regular file' }));
    }
    expect(() => readRegularFile(dir)).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    expect(() => readRegularFile(path.join(dir, 'missing'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('emon refuses non-regular inputs with the path named', () => {
  const enclave = path.join(dir, 'gatetest.wasm');
  copyFileSync(path.join(root, 'build', 'enclaves', 'gatetest.wasm'), enclave);
  const probe = path.join(guests, 'enclave-probe.wasm');

  for (const [what, make] of [
    ['a FIFO', () => fifo('gatetest.wasm.sig')],
    ['a link to /dev/zero', () => zeroLink('gatetest.wasm.sig')],
  ] as const) {
    it(`an enclave's .sig that is ${what}: emon run stops with E_NO_FILE instead of hanging`, () => {
      const sig = make();
      try {
        const r = emon(['run', `--enclave:gatetest=${enclave}`, probe], { timeoutMs: 20000 });
        expect(r.status, r.stderr).not.toBe(-1); // -1: killed by the timeout, i.e. it hung
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain(`${sig}: not a regular file`);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      } finally {
        execFileSync('rm', ['-f', sig]);
      }
    });
  }

  it('a guest, a manifest, a signer key and a trace that are FIFOs are refused', () => {
    const cases: [string[], string][] = [
      [['run', fifo('guest.wasm')], 'guest.wasm'],
      [['manifest', 'embed', fifo('manifest.json'), path.join(guests, 'hello.wasm'), '-o', path.join(dir, 'o.wasm')], 'manifest.json'],
      [['enclave', 'sign', '--key', fifo('key.pem'), enclave, '-o', path.join(dir, 's.wasm')], 'key.pem'],
      [['trace', 'summary', fifo('trace.json')], 'trace.json'],
    ];
    for (const [args, name] of cases) {
      const r = emon(args, { timeoutMs: 20000 });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).not.toBe(-1);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(new RegExp(`${name}.*not a regular file`));
    }
  });
});
