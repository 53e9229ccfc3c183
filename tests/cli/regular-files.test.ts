/**
 * Every path the monitor and its tools read goes through one check (runtime/files.ts, issue 10 defect 5): a
 * FIFO, a device (or a link to one) or a folder is refused at once with the path named, never read forever.
 * The case that hung: a FIFO or a link to /dev/zero as an enclave's neighbouring `.sig`; and after it, middlebox
 * rules (`emon middlebox seal`, `emon run --net:...,rules=`), a --policy, the platform's TCB file, the
 * manufacturer's CA files, the verifier's EAR key and state, a TA file and an imported EDL.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileErrorReason, readRegularFile } from '../../runtime/files.js';
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

  it('refuses a file over maxBytes before reading it, and reads one at the limit', () => {
    const f = path.join(dir, 'limit.bin');
    writeFileSync(f, new Uint8Array(100));
    expect(readRegularFile(f, undefined, 100).length).toBe(100);
    expect(() => readRegularFile(f, undefined, 99)).toThrow(expect.objectContaining({ code: 'EFBIG', reason: 'is 100 bytes, over the 99-byte limit' }));
    expect(fileErrorReason(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('ENOENT');
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

/** Runs emon and expects a clean refusal (not a hang, not a stack trace) whose message matches `msg`. */
function refused(args: string[], msg: RegExp): void {
  const r = emon(args, { timeoutMs: 20000 });
  const what = args.join(' ');
  expect(r.status, `${what} hung: ${r.stderr}`).not.toBe(-1);
  expect(r.status, what).not.toBe(0);
  expect(r.stderr, what).toMatch(msg);
  expect(r.stderr, what).not.toMatch(/\n\s+at /);
}

describe('inputs that used to hang on a FIFO or /dev/zero', () => {
  const middlebox = path.join(root, 'build', 'enclaves', 'middlebox.wasm');
  const pong = path.join(guests, 'net-pong.wasm');

  it('middlebox rules: `emon middlebox seal` and `emon run --net:...,rules=`', () => {
    for (const p of [fifo('rules.fifo'), '/dev/zero', zeroLink('rules.zero')]) {
      refused(['middlebox', 'seal', p, '-o', path.join(dir, 'rules.sealed'), '--state-dir', path.join(dir, 'mb-state')], new RegExp(`cannot read the rule file ${p}: not a regular file`));
      refused(['run', `--state-dir=${path.join(dir, 'mb-state')}`, '--timeout=10', `--net:service=switch:sw0,middlebox=${middlebox},rules=${p}`, pong, '1'],
        new RegExp(`cannot read the sealed middlebox rules ${p}: not a regular file`));
    }
  });

  it('an appraisal --policy', () => {
    const evidence = path.join(dir, 'evidence.bin');
    writeFileSync(evidence, 'x');
    for (const p of [fifo('policy.fifo'), '/dev/zero']) {
      refused(['attest', 'verify', evidence, '--type', 'sgx-quote', '--root', evidence, '--policy', p], new RegExp(`cannot read the policy: ${p} is not a regular file`));
    }
  });

  it("the platform's TCB file and the manufacturer's CA files", () => {
    const state = path.join(dir, 'tcb-state');
    mkdirSync(state);
    const tcb = fifo('tcb-state/sgx-tcb.json');
    const ca = path.join(dir, 'ca');
    const fetch = ['attest', 'fetch', '--type', 'sgx-quote', '--state-dir', state, '--ca-dir', ca, '-o', path.join(dir, 'q.bin')];
    refused(fetch, new RegExp(`cannot read the platform TCB file ${tcb}: is not a regular file`));
    execFileSync('rm', [tcb]);
    expect(emon(fetch, { timeoutMs: 30000 }).status).toBe(0);
    renameSync(path.join(ca, 'root.key.pem'), path.join(dir, 'root.key.pem'));
    const key = fifo('ca/root.key.pem');
    refused(fetch, new RegExp(`manufacturer CA file ${key} .*is not a regular file`));
  });

  it("the verifier's EAR key and provisioned state", () => {
    const v = path.join(dir, 'verifier');
    mkdirSync(v);
    const jwk = fifo('verifier/ear-signing.jwk');
    const jwt = path.join(dir, 'ear.jwt');
    writeFileSync(jwt, 'a.b.c');
    refused(['attest', 'check-ear', jwt, '--verifier-dir', v], new RegExp(`verifier key ${jwk} is damaged: ${jwk} is not a regular file`));
    const s = path.join(dir, 'verifier-state');
    mkdirSync(s);
    const state = fifo('verifier-state/provisioned.json');
    refused(['verifier', 'serve', '--port', '0', '--state', s], new RegExp(`cannot read the verifier state ${state}: is not a regular file`));
  });

  it('a TA file and an EDL imported by another', () => {
    refused(['ta', 'inspect', fifo('x.ta')], /cannot read TA .*x\.ta: not a regular file/);
    const edl = path.join(dir, 'main.edl');
    writeFileSync(edl, 'enclave {\n  from "imported.edl" import *;\n  trusted { public int f(void); };\n};\n');
    fifo('imported.edl');
    refused(['edl', 'check', edl], /imported\.edl.*not a regular file/);
  });
});

describe('one helper', () => {
  /**
   * Files that may still call readFileSync, each reading only what the project itself made or holds: the build
   * (its sources and outputs), the CLI's build stamp, package.json files, build/ outputs the benchmarks load,
   * /proc and /sys pseudo-files, an output file compared before it is rewritten, and the helper itself.
   * Everything else the product reads from a path a user can name goes through readRegularFile.
   */
  const allowed = new Set([
    'runtime/files.ts', 'runtime/cli/version.ts', 'runtime/monitor/tun.ts', 'runtime/monitor/tap-helper.ts', 'runtime/enclave/edl/generate.ts',
    'bench/runner.ts', 'bench/examples/chatty/build.ts', 'bench/suites/epc.ts', 'bench/suites/fleet.ts', 'bench/suites/attack.ts',
    'bench/suites/startup.ts', 'bench/suites/tz.ts', 'bench/suites/transitions.ts',
  ]);
  const files = (dir: string): string[] =>
    readdirSync(path.join(root, dir)).flatMap((n) => {
      const rel = `${dir}/${n}`;
      if (statSync(path.join(root, rel)).isDirectory()) return n === 'generated' ? [] : files(rel);
      return rel.endsWith('.ts') ? [rel] : [];
    });

  it('no runtime/ or bench/ module outside the project build reads a file with a bare readFileSync', () => {
    const bare = [...files('runtime'), ...files('bench')]
      .filter((f) => !f.startsWith('runtime/build/') && !allowed.has(f))
      .filter((f) => /\breadFileSync\(/.test(readFileSync(path.join(root, f), 'utf8')));
    expect(bare).toEqual([]);
  });
});
