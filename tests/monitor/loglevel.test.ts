/**
 * Solo5's log levels per guest (runtime/monitor/loglevel.ts): which of the monitor's lines about a guest each
 * level prints, `-v` raising only the default, and a guest's own `--solo5:` level winning over `-v`, at the
 * parser and on the command line (one guest on the monitor's thread, several in workers, a --timeout stop).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { endSeverity, guestLevel, LOG_LEVELS, shows, takeSolo5Options } from '../../runtime/monitor/loglevel.js';
import { parseRunArgs } from '../../runtime/monitor/runargs.js';
import { emon, guests } from '../cli/helpers.js';
import { wat } from './helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-loglevel-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const hello = path.join(guests, 'hello.wasm');

describe('log levels', () => {
  it('each level prints the severities at or above it: quiet none, debug all', () => {
    const table = LOG_LEVELS.map((l) => [l, (['error', 'warn', 'info', 'debug'] as const).filter((s) => shows(l, s))]);
    expect(table).toEqual([
      ['quiet', []],
      ['error', ['error']],
      ['warn', ['error', 'warn']],
      ['info', ['error', 'warn', 'info']],
      ['debug', ['error', 'warn', 'info', 'debug']],
    ]);
    expect(endSeverity('timeout')).toBe('warn');
    for (const r of ['abort', 'trap', 'crash'] as const) expect(endSeverity(r)).toBe('error');
  });

  it('-v raises only the default level; a guest\'s own level wins', () => {
    expect(guestLevel(undefined, false)).toBe('info');
    expect(guestLevel(undefined, true)).toBe('debug');
    expect(guestLevel('quiet', true)).toBe('quiet');
    expect(takeSolo5Options(['a'], 'g')).toEqual({ args: ['a'], level: 'info', given: false });
    expect(takeSolo5Options(['--solo5:info', 'a'], 'g')).toEqual({ args: ['a'], level: 'info', given: true });
    expect(parseRunArgs(['-v', 'g.wasm', '--solo5:quiet']).launches[0]!.logLevel).toBe('quiet');
    expect(parseRunArgs(['-v', 'g.wasm', '--solo5:warn']).launches[0]!.logLevel).toBe('warn');
    expect(parseRunArgs(['-v', 'g.wasm']).launches[0]!.logLevel).toBe('debug');
    expect(parseRunArgs(['g.wasm']).launches[0]!.logLevel).toBe('info');
    const two = parseRunArgs(['-v', '--guest', 'a.wasm', '--solo5:quiet', '--guest', 'b.wasm']);
    expect(two.launches.map((l) => l.logLevel)).toEqual(['quiet', 'debug']);
  });
});

describe('emon run with --solo5: levels', () => {
  it('emon run -v g.wasm --solo5:quiet prints nothing about the guest, on its own thread or in a worker', () => {
    const loud = emon(['run', '-v', hello]);
    expect(loud.stderr).toMatch(/emon: starting guest hello/);
    expect(loud.stderr).toMatch(/emon: guest hello ended \(return\) with status 0/);
    for (const level of ['quiet', 'error', 'warn', 'info']) {
      const r = emon(['run', '-v', hello, `--solo5:${level}`, 'x']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain("Command line is: 'x'");
      expect(r.stderr, level).toBe('');
    }
    // Several guests run in workers: each guest's level governs the lines about it.
    const two = emon(['run', '-v', '--guest', '--name=a', hello, '--solo5:quiet', '--guest', '--name=b', hello]);
    expect(two.status, two.stderr).toBe(0);
    expect(two.stderr).not.toMatch(/guest a\b/);
    expect(two.stderr).toMatch(/emon: starting guest b/);
    expect(two.stderr).toMatch(/emon: guest b ended \(return\) with status 0/);
  });

  it('a --timeout stop is a warning: shown at warn and info, hidden at error and quiet; the status is 124 at every level', async () => {
    const spin = path.join(tmp, 'spin.wasm');
    writeFileSync(spin, await wat('(module (memory (export "memory") 1) (func (export "solo5_app_main") (param i32) (result i32) (loop $l (br $l)) (i32.const 0)))'));
    for (const [level, shown] of [['warn', true], ['info', true], ['error', false], ['quiet', false]] as const) {
      const r = emon(['run', '--timeout=0.3', spin, `--solo5:${level}`]);
      expect(r.status).toBe(124);
      if (shown) expect(r.stderr, level).toMatch(/^emon: guest spin stopped after 0\.3 s \(--timeout\)\n$/);
      else expect(r.stderr, level).toBe('');
    }
  }, 60_000);

  it('an abort is an error: shown at error, hidden at quiet', async () => {
    const trap = path.join(tmp, 'trap.wasm');
    writeFileSync(trap, await wat('(module (memory (export "memory") 1) (func (export "solo5_app_main") (param i32) (result i32) unreachable))'));
    expect(emon(['run', trap, '--solo5:error']).stderr).toMatch(/^emon: guest trap trapped/);
    const quiet = emon(['run', '-v', trap, '--solo5:quiet']);
    expect(quiet.status).toBe(255);
    expect(quiet.stderr).toBe('');
  });
});
