/**
 * The other way to reach /dev/net/tun that issue 12 asked to measure against the Node-API addon
 * (runtime/native/tun.c): a helper process that does only the TUNSETIFF ioctl (runtime/native/tunsetiff.c) on
 * a descriptor emon opened and lends it, after which emon moves frames with Node's own fs calls. It implements
 * the addon's interface (TunAddon in ./tun.ts), so the same NIC code (./devices/tap-nic.ts) runs on it.
 *
 * Selected only by EMON_TUN_HELPER=PATH (the compiled helper), which `emon bench hostnet` sets for its
 * "helper" row; emon's TAP NICs use the addon otherwise. What Node cannot do shows in the figures: it has no
 * poll(), so readiness is a non-blocking read whose frame is kept for the next net_read, an empty TAP costs a
 * thrown EAGAIN, and yield sleeps in slices of HELPER_SLICE_MS between tries instead of in the kernel.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants as fsc, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { constants as osc } from 'node:os';
import type { TunAddon } from './tun.js';

/** yield's sleep between readiness tries on the TAPs, in ms: short, since every slice is latency. */
export const HELPER_SLICE_MS = 0.05;
const BOUNCE_BYTES = 65536;
const { EAGAIN, EFAULT, EINVAL } = osc.errno;

function errnoOf(e: unknown): number {
  const code = (e as NodeJS.ErrnoException).code;
  const n = code === undefined ? undefined : (osc.errno as Record<string, number>)[code];
  return -(n ?? EINVAL);
}

function validName(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && Buffer.byteLength(name) < 16 && !name.includes('%') && !name.includes('/');
}

function inSpan(u8: Uint8Array, off: number, len: number): boolean {
  return u8 instanceof Uint8Array && Number.isInteger(off) && Number.isInteger(len) && off >= 0 && len >= 0 && off + len <= u8.length;
}

/** A frame read ahead by poll(), or the error that read met, waiting for the next read() of that fd. */
interface Ahead {
  readonly buf: Buffer;
  n: number;
}

export function helperTun(helper: string): TunAddon {
  const ahead = new Map<number, Ahead>();
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const bounce = Buffer.alloc(BOUNCE_BYTES);

  /** One non-blocking read into `into`; the byte count, or -errno. */
  function rawRead(fd: number, into: Buffer): number {
    try {
      return readSync(fd, into, 0, into.length, null);
    } catch (e) {
      return errnoOf(e);
    }
  }

  /** True when fd has a frame (or an error) waiting, reading one ahead if need be. */
  function ready(fd: number): boolean {
    let a = ahead.get(fd);
    if (a !== undefined && a.n !== 0) return true;
    if (a === undefined) ahead.set(fd, (a = { buf: Buffer.alloc(BOUNCE_BYTES), n: 0 }));
    const n = rawRead(fd, a.buf);
    if (n === -EAGAIN) return false;
    a.n = n === 0 ? -EAGAIN : n;
    return true;
  }

  function probe(fds: Int32Array): number {
    let mask = 0;
    for (let i = 0; i < fds.length; i++) if (fds[i]! >= 0 && ready(fds[i]!)) mask |= 1 << i;
    return mask;
  }

  return {
    ifIndex(ifname) {
      if (!validName(ifname)) return 0;
      try {
        return Number.parseInt(readFileSync(`/sys/class/net/${ifname}/ifindex`, 'utf8'), 10) || 0;
      } catch {
        return 0;
      }
    },
    openTun() {
      try {
        return openSync('/dev/net/tun', fsc.O_RDWR | fsc.O_NONBLOCK);
      } catch (e) {
        return errnoOf(e);
      }
    },
    attachTap(fd, ifname) {
      if (!validName(ifname)) return -EINVAL;
      const r = spawnSync(helper, [ifname], { stdio: ['ignore', 'ignore', 'ignore', fd] });
      if (r.error !== undefined) return errnoOf(r.error);
      return r.status === 0 ? 0 : -(r.status ?? EINVAL);
    },
    read(fd, u8, off, len) {
      if (!inSpan(u8, off, len)) return -EFAULT;
      const a = ahead.get(fd);
      let n: number;
      let from: Buffer;
      if (a !== undefined && a.n !== 0) {
        n = a.n;
        from = a.buf;
        a.n = 0;
      } else {
        n = rawRead(fd, bounce);
        from = bounce;
      }
      if (n > 0 && n <= len) u8.set(from.subarray(0, n), off);
      return n;
    },
    write(fd, u8, off, len) {
      if (!inSpan(u8, off, len)) return -EFAULT;
      try {
        return writeSync(fd, u8, off, len, null);
      } catch (e) {
        return errnoOf(e);
      }
    },
    poll(fds, timeoutMs) {
      if (!(fds instanceof Int32Array) || fds.length > 31) return -EINVAL;
      let mask = probe(fds);
      if (mask !== 0 || timeoutMs <= 0) return mask;
      const until = performance.now() + timeoutMs;
      while (mask === 0 && performance.now() < until) {
        Atomics.wait(sleeper, 0, 0, HELPER_SLICE_MS);
        mask = probe(fds);
      }
      return mask;
    },
    close(fd) {
      ahead.delete(fd);
      try {
        closeSync(fd);
        return 0;
      } catch (e) {
        return errnoOf(e);
      }
    },
  };
}
