/**
 * Host TAP interfaces, attached as Solo5's tenders attach them (tenders/common/tap_attach.c): the interface
 * must already exist (emon never creates one, so it never leaves one behind), it is opened through
 * /dev/net/tun with TUNSETIFF(IFF_TAP | IFF_NO_PI), and a device that is missing, busy, not a TAP, or behind a
 * /dev/net/tun the user may not open is refused with what to do. The syscalls are in the Node-API addon
 * runtime/native/tun.c; this module loads it and turns its -errno results into EmonErrors. For measuring the
 * design the addon was chosen over, EMON_TUN_HELPER=PATH swaps in a TUNSETIFF-only helper process and Node's
 * fs calls (./tap-helper.ts); `emon bench hostnet` uses it, nothing else does.
 */
import { accessSync, constants as fsc, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as osc } from 'node:os';
import path from 'node:path';
import { EmonError } from '../errors.js';
import { buildDir } from '../paths.js';
import { helperTun } from './tap-helper.js';

/** The addon's functions; every one returns -errno on failure. */
export interface TunAddon {
  /** The interface's index in this network namespace, 0 when it has none. */
  ifIndex(ifname: string): number;
  openTun(): number;
  attachTap(fd: number, ifname: string): number;
  /** Reads one frame; returns its full length, copying it only when it fits in `len`. */
  read(fd: number, u8: Uint8Array, off: number, len: number): number;
  write(fd: number, u8: Uint8Array, off: number, len: number): number;
  /** Bit i set when fds[i] is readable or in error; waits up to timeoutMs. */
  poll(fds: Int32Array, timeoutMs: number): number;
  close(fd: number): number;
}

export const TUN_ADDON_PATH = path.join(buildDir, 'native', 'tun.node');

/** IFF_TAP in /sys/class/net/IFACE/tun_flags (linux/if_tun.h). */
const IFF_TAP = 0x0002;

let addon: TunAddon | null = null;

/** The addon, loaded once per thread. */
export function tunAddon(): TunAddon {
  if (addon !== null) return addon;
  if (process.platform !== 'linux') {
    throw new EmonError('E_NET', 'TAP interfaces (--net:NAME=IFACE) are a Linux feature', {
      hint: 'use --net:NAME=switch:SW0 or --net:NAME=udp:LPORT:RHOST:RPORT on this system',
    });
  }
  const helper = process.env['EMON_TUN_HELPER'];
  if (helper !== undefined && helper !== '') {
    try {
      accessSync(helper, fsc.X_OK);
    } catch {
      throw new EmonError('E_NET', `EMON_TUN_HELPER=${helper} is not an executable`, {
        hint: 'compile runtime/native/tunsetiff.c with clang and point EMON_TUN_HELPER at it, or unset EMON_TUN_HELPER to use the TAP addon',
      });
    }
    addon = helperTun(helper);
    return addon;
  }
  if (!existsSync(TUN_ADDON_PATH)) {
    throw new EmonError('E_NET', `the TAP addon ${TUN_ADDON_PATH} is not built`, {
      hint: 'install clang (apt install clang) and run `npm run build`',
    });
  }
  addon = createRequire(import.meta.url)(TUN_ADDON_PATH) as TunAddon;
  return addon;
}

export function errnoName(negErrno: number): string {
  const n = -negErrno;
  for (const [k, v] of Object.entries(osc.errno)) if (v === n) return k;
  return `errno ${n}`;
}

/**
 * What /sys says IFACE is, to explain a refusal; only a hint, since /sys may show another network namespace
 * than the process's (nsenter without a new mount namespace).
 */
function sysKind(ifname: string): 'tap' | 'tun' | 'other' | 'unknown' {
  const dir = `/sys/class/net/${ifname}`;
  if (!existsSync(dir)) return 'unknown';
  try {
    const flags = Number.parseInt(readFileSync(`${dir}/tun_flags`, 'utf8').trim(), 16);
    return (flags & IFF_TAP) !== 0 ? 'tap' : 'tun';
  } catch {
    return 'other';
  }
}

/** Opens IFACE for guest `guest`'s NIC `device` and returns the non-blocking descriptor. */
export function openTap(guest: string, device: string, ifname: string): number {
  const where = `--net:${device}=${ifname} for guest ${guest}`;
  const tun = tunAddon();
  // As Solo5's tap_attach: the interface must exist, or TUNSETIFF would create a new, unconfigured one.
  if (tun.ifIndex(ifname) === 0) {
    throw new EmonError('E_NET', `${where}: there is no host interface "${ifname}"`, {
      hint: `create the TAP first (ip tuntap add ${ifname} mode tap && ip link set ${ifname} up), or, for the in-process switch, write --net:${device}=switch:${ifname}`,
    });
  }
  const fd = tun.openTun();
  if (fd < 0) {
    const why = errnoName(fd);
    throw new EmonError('E_NET', `${where}: cannot open /dev/net/tun (${why})`, {
      hint: why === 'EACCES' || why === 'EPERM'
        ? 'run as root, give the TAP to your user (ip tuntap add NAME mode tap user $USER), or use --net:NAME=user for networking without root'
        : 'load the tun module (modprobe tun) or check that /dev/net/tun exists',
    });
  }
  const r = tun.attachTap(fd, ifname);
  if (r < 0) {
    tun.close(fd);
    const why = errnoName(r);
    if (why === 'EINVAL') {
      const kind = sysKind(ifname);
      throw new EmonError('E_NET', `${where}: host interface "${ifname}" is not a TAP interface${kind === 'tun' ? ' (it is a TUN, a layer 3 device)' : kind === 'other' ? ' (it is not a TUN/TAP device)' : ''}`, {
        hint: `give a TAP (ip tuntap add NAME mode tap), or, for the in-process switch, write --net:${device}=switch:${ifname}`,
      });
    }
    const hint =
      why === 'EBUSY' ? `another process (a tender, another emon, qemu) has ${ifname} open; stop it or use another TAP`
      : why === 'EPERM' || why === 'EACCES' ? `the TAP belongs to another user: recreate it with ip tuntap add ${ifname} mode tap user $USER, or run as root`
      : `check the interface with ip -d link show ${ifname}`;
    throw new EmonError('E_NET', `${where}: cannot attach TAP interface "${ifname}" (${why})`, { hint });
  }
  return fd;
}
