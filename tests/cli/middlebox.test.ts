/**
 * `emon middlebox seal|check`: --help, a rule file sealed and then loaded by `emon run`, and bad input (a
 * malformed rule, a missing file, rules sealed on another platform) as `emon:` errors naming it, never a trace.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emon, guests } from './helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-cli-mb-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const rules = path.join(tmp, 'fw.rules');
writeFileSync(rules, 'default deny\nallow ether 0x88b5\n');

describe('emon middlebox', () => {
  for (const cmd of [['middlebox'], ['middlebox', 'seal'], ['middlebox', 'check']]) {
    it(`emon ${cmd.join(' ')} --help`, () => {
      const r = emon([...cmd, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout, r.stderr).toMatch(/Usage: emon middlebox/);
    });
  }

  it('seals rules that emon run then loads on the same platform, and refuses them on another', () => {
    const sealed = path.join(tmp, 'fw.sealed');
    const state = path.join(tmp, 'state');
    const s = emon(['middlebox', 'seal', rules, '-o', sealed, '--state-dir', state]);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/sealed .*fw\.rules .* to .*fw\.sealed/);
    const net = `--net:service=switch:sw0,middlebox=${path.resolve('build/enclaves/middlebox.wasm')},rules=${sealed}`;
    const ok = emon(['run', `--state-dir=${state}`, '--timeout=10', net, path.join(guests, 'net-pong.wasm'), '1']);
    expect(ok.stderr).toMatch(/net-pong: net "service" middlebox: 0 of 0 frames passed/);
    const other = emon(['run', `--state-dir=${path.join(tmp, 'other')}`, net, path.join(guests, 'net-pong.wasm'), '1']);
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/^emon: net "service" of guest net-pong: the middlebox enclave cannot unseal the rules/m);
    expect(other.stderr).not.toMatch(/\n\s+at /);
  });

  it('names a bad rule by file and line, and a missing file', () => {
    const bad = path.join(tmp, 'bad.rules');
    writeFileSync(bad, 'default deny\nallow tcp to 10.0.0.1:99999\n');
    const r = emon(['middlebox', 'check', bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^emon: .*bad\.rules:2: .*ports are 0-65535/m);
    const m = emon(['middlebox', 'seal', path.join(tmp, 'absent.rules'), '-o', path.join(tmp, 'x')]);
    expect(m.status).toBe(1);
    expect(m.stderr).toMatch(/^emon: cannot read the rule file .*absent\.rules: ENOENT/m);
  });
});
