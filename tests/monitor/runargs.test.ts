/**
 * The `emon run` grammar: Solo5-shaped options, per-guest options applying to the guest file that follows
 * them, run-wide options anywhere, `--` giving the last guest its command line; random argument lists only
 * ever produce a result or a typed usage error.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isEmonError } from '../../runtime/errors.js';
import { parseNetSpec } from '../../runtime/monitor/netspec.js';
import { parseRunArgs } from '../../runtime/monitor/runargs.js';

describe('parseRunArgs', () => {
  it('reads a solo5-hvt command line unchanged', () => {
    const r = parseRunArgs(['--mem=32', '--block:storage=disk.img', '--net:service=sw0', 'app.wasm', '--', 'a', '--b']);
    expect(r.launches).toHaveLength(1);
    const g = r.launches[0]!;
    expect(g.file).toBe('app.wasm');
    expect(g.memMiB).toBe(32);
    expect(g.attachments.get('block')?.get('storage')).toBe('disk.img');
    expect(g.attachments.get('net')?.get('service')).toBe('sw0');
    expect(g.cmdline).toBe('a --b');
  });

  it('applies per-guest options to the following guest and run-wide options to all', () => {
    const r = parseRunArgs(['--net:s=sw0', '--mem', '8', 'a.wasm', '--timeout=5', '--net:s=sw0', '--net-mac:s=02:00:00:00:00:09', '--cmdline=x y', 'b.wasm', '--backend=tz', '-v', '--', 'z']);
    expect(r.launches.map((l) => [l.file, l.memMiB, l.cmdline])).toEqual([['a.wasm', 8, ''], ['b.wasm', 64, 'z']]);
    expect([...r.launches[1]!.macs.get('s')!]).toEqual([2, 0, 0, 0, 0, 9]);
    expect(r.timeoutS).toBe(5);
    expect(r.verbose).toBe(true);
    expect(r.options).toMatchObject({ backend: 'tz', timeout: 5, verbose: true });
  });

  it('passes extension attachments and run options through', () => {
    const r = parseRunArgs(['--enclave:kv=kv.wasm', '--state-dir', '/tmp/s', '--epc=64M', '--emulate-cost', '--trace=t.json', 'g.wasm']);
    expect(r.launches[0]!.attachments.get('enclave')?.get('kv')).toBe('kv.wasm');
    expect(r.options).toMatchObject({ stateDir: '/tmp/s', epc: '64M', emulateCost: true, trace: 't.json', backend: 'sgx' });
    expect(r.traceFile).toBe('t.json');
  });

  it('refuses what it cannot place', () => {
    const err = (args: string[]) => {
      try {
        parseRunArgs(args);
      } catch (e) {
        return isEmonError(e, 'E_USAGE') ? e.message : `unexpected ${String(e)}`;
      }
      return 'no error';
    };
    expect(err([])).toMatch(/no guest file/);
    expect(err(['--', 'x'])).toMatch(/before any guest/);
    expect(err(['a.wasm', '--mem=4'])).toMatch(/must come before the guest file/);
    expect(err(['--block:d=x', '--block:d=y', 'a.wasm'])).toMatch(/attached twice/);
    expect(err(['--net-mac:s=01:00:00:00:00:00', 'a.wasm'])).toMatch(/multicast/);
    expect(err(['--backend=arm', 'a.wasm'])).toMatch(/sgx or tz/);
    expect(err(['--timeout=0', 'a.wasm'])).toMatch(/--timeout=0/);
    // Past 2^31-1 ms a Node timer fires at once: such a timeout would stop the guest as soon as it booted.
    expect(err(['--timeout=1e10', 'a.wasm'])).toMatch(/--timeout=1e10: expected a positive number of seconds, at most 2147483/);
    expect(err(['--timeout=Infinity', 'a.wasm'])).toMatch(/--timeout=Infinity/);
    expect(parseRunArgs(['--timeout=2147483', 'a.wasm']).timeoutS).toBe(2147483);
    expect(err(['--mem'])).toMatch(/needs a value/);
  });

  it('random argument lists give a result or a typed error', () => {
    const token = fc.oneof(
      fc.string(),
      fc.constantFrom('--', '-v', '--mem', '--mem=1', '--timeout=x', '--block:a=b', '--net:a=', '--net-mac:a=zz', 'g.wasm', '--trace', '--help', '--:=', '--x:'),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 12 }), (args) => {
        try {
          parseRunArgs(args);
        } catch (e) {
          expect(isEmonError(e)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseNetSpec', () => {
  it('reads switch names and UDP tunnels', () => {
    expect(parseNetSpec('g', 'n', 'switch:sw0')).toEqual({ kind: 'switch', switchName: 'sw0' });
    expect(parseNetSpec('g', 'n', 'udp:9001:127.0.0.1:9002')).toEqual({ kind: 'udp', localPort: 9001, remoteHost: '127.0.0.1', remotePort: 9002 });
    expect(parseNetSpec('g', 'n', 'udp:9001:[::1]:9002')).toMatchObject({ remoteHost: '::1' });
  });
  it('random specs give a result or a typed error', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.tuple(fc.string(), fc.string(), fc.string()).map(([a, b, c]) => `udp:${a}:${b}:${c}`)), (spec) => {
        try {
          parseNetSpec('g', 'n', spec);
        } catch (e) {
          expect(isEmonError(e, 'E_ATTACH')).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
