/**
 * The hostnet suite's comparison with a native Solo5 tender (bench/suites/hostnet.ts): where solo5-spt or its
 * test_ping_serve kernel is missing, the suite says exactly which and how to get it, rather than a vague "not
 * measured". Uses a PATH made here, so it does not depend on what this machine has installed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { solo5PingServe } from '../../../bench/suites/hostnet.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'emon-solo5-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const withSpt = path.join(dir, 'bin');
const noSpt = path.join(dir, 'empty');

describe('hostnet: the Solo5 spt comparison', () => {
  writeFileSync(path.join(dir, 'placeholder'), '');
  mkdirSync(withSpt);
  mkdirSync(noSpt);
  writeFileSync(path.join(withSpt, 'solo5-spt'), '#!/bin/sh\n');
  chmodSync(path.join(withSpt, 'solo5-spt'), 0o755);
  // Only `which` itself on each PATH, so a solo5-spt installed on this machine does not change the answers.
  const which = execFileSync('sh', ['-c', 'command -v which'], { encoding: 'utf8' }).trim();
  for (const d of [withSpt, noSpt]) symlinkSync(which, path.join(d, 'which'));

  it('no solo5-spt on PATH: says so, that Debian does not package Solo5, and what to set', () => {
    const r = solo5PingServe({ PATH: noSpt, EMON_SOLO5_PING_SERVE: '/x.spt' });
    expect(r).toMatch(/^not measured: no solo5-spt on PATH \(Solo5 is not packaged by Debian: build it from github.com\/Solo5\/solo5/);
    expect(r).toMatch(/set EMON_SOLO5_PING_SERVE to its tests\/test_ping_serve\/test_ping_serve.spt/);
  });

  it('solo5-spt but no kernel named: says EMON_SOLO5_PING_SERVE is not set', () => {
    expect(solo5PingServe({ PATH: withSpt })).toMatch(/^not measured: EMON_SOLO5_PING_SERVE is not set/);
  });

  it('a kernel path that does not exist is named', () => {
    expect(solo5PingServe({ PATH: withSpt, EMON_SOLO5_PING_SERVE: path.join(dir, 'none.spt') })).toBe(`not measured: EMON_SOLO5_PING_SERVE=${path.join(dir, 'none.spt')} does not exist`);
  });

  it('both present: the tender and the kernel to run', () => {
    const kernel = path.join(dir, 'placeholder');
    expect(solo5PingServe({ PATH: withSpt, EMON_SOLO5_PING_SERVE: kernel })).toEqual([path.join(withSpt, 'solo5-spt'), kernel]);
  });
});
