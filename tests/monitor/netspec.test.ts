/**
 * `--net:NAME=SPEC` parsing (runtime/monitor/netspec.ts): a bare name is a host TAP as in Solo5's tenders,
 * the other backends have explicit forms, and anything else is an E_ATTACH naming the option and the forms.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isEmonError } from '../../runtime/errors.js';
import { parseNetSpec } from '../../runtime/monitor/netspec.js';
import { passtArgs } from '../../runtime/monitor/passt.js';

const parse = (v: string) => parseNetSpec('g', 'service', v);
const err = (v: string): string => {
  try {
    parse(v);
  } catch (e) {
    if (isEmonError(e, 'E_ATTACH')) return `${e.message} | ${e.hint ?? ''}`;
    throw e;
  }
  throw new Error(`${v} was accepted`);
};

describe('--net:NAME=SPEC forms', () => {
  it('a bare interface name is a TAP, as Solo5 reads --net:service=tap100', () => {
    expect(parse('tap100')).toEqual({ kind: 'tap', ifname: 'tap100' });
    expect(parse('sw0')).toEqual({ kind: 'tap', ifname: 'sw0' });
  });

  it('switch:SW, udp:..., user[,hostfwd=...]', () => {
    expect(parse('switch:sw0')).toEqual({ kind: 'switch', switchName: 'sw0' });
    expect(parse('udp:9001:127.0.0.1:9002')).toEqual({ kind: 'udp', localPort: 9001, remoteHost: '127.0.0.1', remotePort: 9002 });
    expect(parse('user')).toEqual({ kind: 'user', forwards: [] });
    expect(parse('user,hostfwd=tcp::8080-:80,hostfwd=udp:127.0.0.1:5353-:53')).toEqual({
      kind: 'user',
      forwards: [
        { proto: 'tcp', hostAddr: '', hostPort: 8080, guestPort: 80 },
        { proto: 'udp', hostAddr: '127.0.0.1', hostPort: 5353, guestPort: 53 },
      ],
    });
  });

  it('hostfwd becomes passt -t/-u port specs', () => {
    const args = passtArgs('/s', (parse('user,hostfwd=tcp::8080-:80,hostfwd=udp:127.0.0.1:5353-:53') as { forwards: never[] }).forwards);
    expect(args.join(' ')).toContain('-t 8080:80 -u 127.0.0.1/5353:53');
    expect(args).toContain('--one-off');
  });

  it('refuses malformed values, naming the option and a form to use', () => {
    expect(err('a-name-longer-than-15')).toMatch(/--net:service=a-name-longer-than-15 for guest g: .*not a host interface name.*switch:NAME/);
    expect(err('switch:')).toMatch(/not a switch name/);
    expect(err('switch:a b')).toMatch(/not a switch name/);
    expect(err('udp:1:nohost:2')).toMatch(/expected udp:LOCALPORT:REMOTEHOST:REMOTEPORT/);
    expect(err('user,hostfwd=tcp::0-:80')).toMatch(/is not hostfwd=tcp\|udp/);
    expect(err('user,hostfwd=sctp::1-:2')).toMatch(/is not hostfwd/);
    expect(err('user,hostfwd=tcp::1-10.0.2.15:2')).toMatch(/the guest address is the one passt gives it/);
    expect(err('user,restrict=on')).toMatch(/is not hostfwd/);
  });

  it('any value is either accepted or refused with E_ATTACH, never another exception', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.constantFrom('user,', 'switch:', 'udp:', 'user,hostfwd=').chain((p) => fc.string().map((s) => p + s))), (v) => {
        try {
          parse(v);
        } catch (e) {
          expect(isEmonError(e, 'E_ATTACH')).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
