/**
 * The `emon run` grammar: the Solo5 tenders' `[OPTIONS] [--] GUEST [ARGS...]` for one guest (everything after
 * the guest file is its command line, a `--` right after it dropped), `--guest` introducing each guest of a
 * several-guest run, `--block-sector-size:`, `--solo5:` log levels; random argument lists only ever produce a
 * result or a typed usage error.
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

  it('takes everything after the guest file as its arguments, with or without a -- before the guest', () => {
    const cases: [string[], string][] = [
      [['--block:storage=d.img', '--', 'k.wasm', 'a', '--mem=8', 'b'], 'a --mem=8 b'],
      [['k.wasm', 'ARG'], 'ARG'],
      [['k.wasm', '--', 'x', '--', 'y'], 'x -- y'],
      [['--', 'k.wasm'], ''],
      [['k.wasm', '--guest', 'b.wasm'], '--guest b.wasm'],
      [['-v', 'k.wasm', '-h', '--help'], '-h --help'],
    ];
    for (const [args, cmdline] of cases) {
      const r = parseRunArgs(args);
      expect(r.launches.map((l) => [l.file, l.cmdline]), args.join(' ')).toEqual([['k.wasm', cmdline]]);
      expect(r.help).toBe(false);
    }
    expect(parseRunArgs(['--', '-odd.wasm', 'a']).launches[0]).toMatchObject({ file: '-odd.wasm', cmdline: 'a' });
  });

  it('takes leading --solo5: log levels off the command line', () => {
    expect(parseRunArgs(['k.wasm', '--solo5:quiet', 'a']).launches[0]).toMatchObject({ cmdline: 'a', logLevel: 'quiet' });
    expect(parseRunArgs(['k.wasm', '--', '--solo5:warn', '--solo5:debug']).launches[0]).toMatchObject({ cmdline: '', logLevel: 'debug' });
    expect(parseRunArgs(['k.wasm', 'a', '--solo5:quiet']).launches[0]).toMatchObject({ cmdline: 'a --solo5:quiet', logLevel: 'info' });
    expect(() => parseRunArgs(['k.wasm', '--solo5:loud'])).toThrow(/k\.wasm: unknown Solo5 option --solo5:loud/);
  });

  it('folds --block-sector-size:NAME=N into the block device', () => {
    const r = parseRunArgs(['--block-sector-size:storage=4096', '--block:storage=d.img', 'k.wasm']);
    expect(r.launches[0]!.attachments.get('block')?.get('storage')).toBe('d.img,sector=4096');
    for (const bad of ['0', '256', '1000', '4k', '', '-512', '131072']) {
      expect(() => parseRunArgs(['--block:s=d.img', `--block-sector-size:s=${bad}`, 'k.wasm']), bad).toThrow(/power of two of at least 512/);
    }
    expect(() => parseRunArgs(['--block-sector-size:s=4096', 'k.wasm'])).toThrow(/no --block:s=PATH/);
    expect(() => parseRunArgs(['--block:s=d.img,sector=512', '--block-sector-size:s=4096', 'k.wasm'])).toThrow(/already sets sector=/);
  });

  it('runs several guests introduced by --guest, each with its own options and arguments', () => {
    const r = parseRunArgs(['--timeout=5', '--guest', '--net:s=sw0', '--mem', '8', 'a.wasm', 'x', '--mem=1', '--guest', '--net:s=sw0', '--net-mac:s=02:00:00:00:00:09', 'b.wasm', '--', 'z', '--solo5:quiet', '--guest', '--cmdline=c d', 'c.wasm', '--solo5:error']);
    expect(r.launches.map((l) => [l.file, l.memMiB, l.cmdline, l.logLevel])).toEqual([['a.wasm', 8, 'x --mem=1', 'info'], ['b.wasm', 64, 'z --solo5:quiet', 'info'], ['c.wasm', 64, 'c d', 'error']]);
    expect(r.timeoutS).toBe(5);
    expect(() => parseRunArgs(['--mem=4', '--guest', 'a.wasm'])).toThrow(/--mem=4: per-guest options go after the --guest/);
    expect(() => parseRunArgs(['--guest', 'a.wasm', '--guest', '--mem=4'])).toThrow(/--guest with options but no guest file/);
    expect(() => parseRunArgs(['--cmdline=a', 'k.wasm', 'b'])).toThrow(/either with --cmdline= or after the guest file/);
  });

  it('applies per-guest options to their guest and run-wide options to all', () => {
    const r = parseRunArgs(['--guest', '--net:s=sw0', '--mem', '8', 'a.wasm', '--guest', '--timeout=5', '--net:s=sw0', '--net-mac:s=02:00:00:00:00:09', '--cmdline=x y', '--backend=tz', '-v', 'b.wasm']);
    expect(r.launches.map((l) => [l.file, l.memMiB, l.cmdline])).toEqual([['a.wasm', 8, ''], ['b.wasm', 64, 'x y']]);
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
    expect(err(['--'])).toMatch(/no guest file after `--`/);
    expect(err(['--mem=4'])).toMatch(/--mem=4: no guest file follows/);
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
      fc.constantFrom('--', '-v', '--mem', '--mem=1', '--timeout=x', '--block:a=b', '--net:a=', '--net-mac:a=zz', 'g.wasm', '--trace', '--help', '--:=', '--x:', '--guest', '--solo5:quiet', '--solo5:x', '--block-sector-size:a=4096', '--block-sector-size:a=3'),
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
