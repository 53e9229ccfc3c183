/**
 * What a `--net:NAME=SPEC` value means. As in Solo5's tenders (`--net:service=tap100`), a bare SPEC is a host
 * TAP interface (./tun.ts). The other backends are spelled out: `switch:SW` joins the in-process switch SW
 * with every NIC given the same name (the role a host bridge plays for taps), `udp:LOCALPORT:REMOTEHOST:
 * REMOTEPORT` is a point-to-point UDP tunnel carrying one frame per datagram to another emon process, and
 * `user[,hostfwd=tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...` is rootless user-mode networking
 * through passt (./passt.ts), with QEMU's `-netdev user,hostfwd=` syntax for the port forwards.
 */
import { isIP } from 'node:net';
import { EmonError } from '../errors.js';

export interface HostForward {
  readonly proto: 'tcp' | 'udp';
  /** Host address to bind, '' for all. */
  readonly hostAddr: string;
  readonly hostPort: number;
  readonly guestPort: number;
}

type BaseNetSpec =
  | { readonly kind: 'tap'; readonly ifname: string }
  | { readonly kind: 'switch'; readonly switchName: string }
  | { readonly kind: 'udp'; readonly localPort: number; readonly remoteHost: string; readonly remotePort: number }
  | { readonly kind: 'user'; readonly forwards: readonly HostForward[] };

/** A middlebox enclave on the NIC's path (`,middlebox=ENCLAVE.wasm,rules=RULES.sealed[,batch=N]`, ./middlebox-link.ts). */
export interface MiddleboxSpec {
  readonly enclave: string;
  readonly rules: string;
  readonly batch: number;
}

export type NetSpec = BaseNetSpec & { readonly middlebox?: MiddleboxSpec };

/** The forms, for help texts and hints. */
export const NET_SPEC_FORMS = 'IFACE | switch:SW | udp:LPORT:RHOST:RPORT | user[,hostfwd=tcp::HPORT-:GPORT]';

function port(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : null;
}

function parseUser(where: string, value: string): BaseNetSpec {
  const forwards: HostForward[] = [];
  for (const opt of value.split(',').slice(1)) {
    const m = /^hostfwd=(tcp|udp):([^:]*):(\d+)-([^:]*):(\d+)$/.exec(opt);
    const hp = m ? port(m[3]!) : null;
    const gp = m ? port(m[5]!) : null;
    const hostAddr = m ? m[2]! : '';
    const guestAddr = m ? m[4]! : '';
    if (m === null || hp === null || gp === null || (hostAddr !== '' && isIP(hostAddr) !== 4) || guestAddr !== '') {
      throw new EmonError('E_ATTACH', `${where}: "${opt}" is not hostfwd=tcp|udp:[HOSTADDR]:HOSTPORT-:GUESTPORT`, {
        hint: 'e.g. --net:service=user,hostfwd=tcp::8080-:80 (HOSTADDR an IPv4 address or empty for all; the guest address is the one passt gives it)',
      });
    }
    forwards.push({ proto: m[1] as 'tcp' | 'udp', hostAddr, hostPort: hp, guestPort: gp });
  }
  return { kind: 'user', forwards };
}

function parseBaseNetSpec(guest: string, name: string, value: string): BaseNetSpec {
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
  if (value.startsWith('switch:')) {
    const sw = value.slice('switch:'.length);
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(sw)) {
      throw new EmonError('E_ATTACH', `${where}: "${sw}" is not a switch name (1-64 letters, digits, _ . -)`, {
        hint: 'guests given the same switch share one Ethernet segment, e.g. --net:service=switch:sw0',
      });
    }
    return { kind: 'switch', switchName: sw };
  }
  if (value === 'user' || value.startsWith('user,')) return parseUser(where, value);
  // Linux interface names: at most IFNAMSIZ - 1 = 15 bytes, no '/', ':' or whitespace.
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(value)) {
    throw new EmonError('E_ATTACH', `${where}: "${value}" is not a host interface name nor one of ${NET_SPEC_FORMS}`, {
      hint: 'a TAP interface name has at most 15 letters, digits, _ . -; for the in-process switch write switch:NAME, e.g. --net:service=switch:sw0',
    });
  }
  return { kind: 'tap', ifname: value };
}

const MIDDLEBOX_KEYS = ['middlebox=', 'rules=', 'batch='];

export function parseNetSpec(guest: string, name: string, value: string): NetSpec {
  const parts = value.split(',');
  const mbParts = parts.filter((p) => MIDDLEBOX_KEYS.some((k) => p.startsWith(k)));
  if (mbParts.length === 0) return parseBaseNetSpec(guest, name, value);
  const base = parseBaseNetSpec(guest, name, parts.filter((p) => !mbParts.includes(p)).join(','));
  const where = `--net:${name}=${value} for guest ${guest}`;
  const get = (k: string): string | undefined => mbParts.find((p) => p.startsWith(k))?.slice(k.length);
  const enclave = get('middlebox=');
  const rules = get('rules=');
  const batchText = get('batch=') ?? '32';
  const batch = /^\d{1,2}$/.test(batchText) ? Number(batchText) : NaN;
  const hint = 'e.g. --net:service=switch:sw0,middlebox=build/enclaves/middlebox.wasm,rules=fw.sealed,batch=32 (see docs/middlebox.md)';
  if (base.kind === 'tap') {
    throw new EmonError('E_ATTACH', `${where}: a middlebox cannot sit on a TAP NIC (the guest's thread does its I/O)`, { hint: 'use switch:SW, udp:... or user with a middlebox' });
  }
  if (!enclave || !rules) throw new EmonError('E_ATTACH', `${where}: a middlebox needs both middlebox=ENCLAVE.wasm and rules=RULES.sealed`, { hint });
  if (!(batch >= 1 && batch <= 64)) throw new EmonError('E_ATTACH', `${where}: batch=${batchText} is not 1-64 frames per ECALL`, { hint });
  return { ...base, middlebox: { enclave, rules, batch } };
}
