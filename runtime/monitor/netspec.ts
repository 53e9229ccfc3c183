/**
 * What a `--net:NAME=SPEC` value means. Solo5's hvt takes a host interface (`--net:service=tap100`); emon has
 * no tap devices, so SPEC names either an in-process switch that joins every NIC given the same name
 * (`--net:service=sw0`, the role a host bridge plays for taps), or a point-to-point UDP tunnel
 * (`udp:LOCALPORT:REMOTEHOST:REMOTEPORT`) carrying one frame per datagram to another emon process.
 */
import { isIP } from 'node:net';
import { EmonError } from '../errors.js';

export type NetSpec =
  | { readonly kind: 'switch'; readonly switchName: string }
  | { readonly kind: 'udp'; readonly localPort: number; readonly remoteHost: string; readonly remotePort: number };

function port(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : null;
}

export function parseNetSpec(guest: string, name: string, value: string): NetSpec {
  const where = `--net:${name}=${value} for guest ${guest}`;
  if (value.startsWith('udp:')) {
    const m = /^udp:(\d+):(.+):(\d+)$/.exec(value);
    const lp = m ? port(m[1]!) : null;
    const rp = m ? port(m[3]!) : null;
    const host = m ? m[2]!.replace(/^\[(.*)\]$/, '$1') : '';
    if (lp === null || rp === null || isIP(host) === 0) {
      throw new EmonError('E_ATTACH', `${where}: expected udp:LOCALPORT:REMOTEHOST:REMOTEPORT with an IP address and ports 1-65535`, {
        hint: 'e.g. --net:service=udp:9001:127.0.0.1:9002 in one emon and udp:9002:127.0.0.1:9001 in the other',
      });
    }
    return { kind: 'udp', localPort: lp, remoteHost: host, remotePort: rp };
  }
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) {
    throw new EmonError('E_ATTACH', `${where}: "${value}" is neither a switch name (letters, digits, _ . -) nor udp:LPORT:RHOST:RPORT`, {
      hint: 'guests given the same switch name share one Ethernet segment, e.g. --net:service=sw0',
    });
  }
  return { kind: 'switch', switchName: value };
}
