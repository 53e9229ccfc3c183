/**
 * Network device (Solo5 NET_BASIC, tenders/hvt/hvt_module_net.c): Ethernet frames of up to MTU 1500 plus the
 * 14-byte header. The guest side of a link is a MessagePort to the supervisor's switch or UDP tunnel
 * (./switch.ts, ./tunnel.ts); net_read takes a frame with receiveMessageOnPort, so it never blocks, and the
 * wake word (../wake.ts) counts frames delivered per handle so yield knows which handles are ready without
 * dequeuing. Outbound frames are bounded the same way (TX_QUEUE_FRAMES in flight to the supervisor; more are
 * dropped and counted, as a NIC drops when its transmit ring is full). `--net:NAME=switch:SW` joins the
 * in-process switch SW; `--net:NAME=udp:LPORT:RHOST:RPORT` tunnels frames over UDP on a loopback address
 * (see ../netspec.ts). A NIC on a host TAP interface is served in this thread by ./tap-nic.ts instead.
 */
import { receiveMessageOnPort } from 'node:worker_threads';
import { EmonError } from '../../errors.js';
import {
  ETHERNET_HEADER,
  MAX_DEVICE_NAME_BYTES,
  NET_INFO_MTU_OFFSET,
  NET_INFO_SIZE,
  NET_MTU,
  SOLO5_R_AGAIN,
  SOLO5_R_EINVAL,
  SOLO5_R_OK,
} from '../abi.js';
import type { DeviceContext, DeviceInstance, DeviceModule, NetLink } from '../device.js';
import { parseNetSpec } from '../netspec.js';
import { txQueueFull, WAKE_CONSUMED, WAKE_DELIVERED, WAKE_SENT, WAKE_TX_DROPPED } from '../wake.js';
import { TapNics } from './tap-nic.js';

export const MAX_FRAME = NET_MTU + ETHERNET_HEADER;

interface Nic {
  readonly name: string;
  readonly handle: number;
  readonly link: NetLink;
  acquired: boolean;
  /** Frames taken off the port so far; compared with the delivered count in the wake word. */
  consumed: number;
  /** Index among the TAP NICs, or -1 for a NIC on a MessagePort. */
  tap: number;
}

export const netDevice: DeviceModule = {
  optionKind: 'net',
  deviceType: 'NET_BASIC',
  optionHelp: '--net:NAME=IFACE | switch:SW | udp:LPORT:RHOST:RPORT | user[,hostfwd=tcp::HPORT-:GPORT]  attach a NIC to a host TAP, an in-process switch, a UDP tunnel or user-mode networking (passt)',

  prepare(guest, name, value) {
    parseNetSpec(guest, name, value);
  },

  create(ctx: DeviceContext, attached): DeviceInstance {
    const byHandle: (Nic | undefined)[] = [];
    const byName = new Map<string, Nic>();
    ctx.manifest.devices.forEach((d, handle) => {
      if (d.type !== 'NET_BASIC' || !attached.has(d.name)) return;
      const link = ctx.netLinks.get(d.name);
      if (link === undefined) {
        throw new EmonError('E_ATTACH', `net device "${d.name}" of guest ${ctx.guest} has no link`, {
          hint: 'attach it with --net:NAME=IFACE, switch:SW, udp:LPORT:RHOST:RPORT or user',
        });
      }
      const nic: Nic = { name: d.name, handle, link, acquired: false, consumed: 0, tap: -1 };
      byHandle[handle] = nic;
      byName.set(d.name, nic);
    });
    const mem = ctx.mem;
    const wake = ctx.wake;
    const nics = [...byName.values()];
    const onTap = nics.filter((n) => n.link.tap !== undefined);
    onTap.forEach((n, i) => (n.tap = i));
    const portNics = nics.filter((n) => n.tap < 0);
    const taps = onTap.length === 0 ? null : new TapNics(onTap.map((n) => ({ handle: n.handle, fd: n.link.tap!.fd, stats: n.link.tap!.stats })), wake, portNics.length > 0);

    function nicOf(handle: bigint): Nic | undefined {
      const nic = handle >= 0n && handle < 64n ? byHandle[Number(handle)] : undefined;
      return nic !== undefined && nic.acquired ? nic : undefined;
    }

    return {
      hypercalls: {
        net_acquire(namePtr: number, handleOut: number, infoOut: number): number {
          namePtr >>>= 0;
          handleOut >>>= 0;
          infoOut >>>= 0;
          if (!mem.inBounds(handleOut, 8) || !mem.inBounds(infoOut, NET_INFO_SIZE)) return SOLO5_R_EINVAL;
          const name = mem.cString(namePtr, MAX_DEVICE_NAME_BYTES);
          if (name === null) return SOLO5_R_EINVAL;
          const nic = byName.get(name);
          if (nic === undefined) {
            if (!ctx.manifest.devices.some((d) => d.name === name)) {
              ctx.abort(`net_acquire("${name}"): the manifest declares no such device`);
            }
            return SOLO5_R_EINVAL;
          }
          if (nic.acquired) return SOLO5_R_EINVAL;
          nic.acquired = true;
          if (nic.tap >= 0) taps!.acquire(nic.tap);
          mem.dv.setBigUint64(handleOut, BigInt(nic.handle), true);
          mem.u8.set(nic.link.mac, infoOut);
          mem.u8.fill(0, infoOut + 6, infoOut + NET_INFO_MTU_OFFSET);
          mem.dv.setUint32(infoOut + NET_INFO_MTU_OFFSET, NET_MTU, true);
          return SOLO5_R_OK;
        },

        net_write(handle: bigint, buf: number, size: number): number {
          buf >>>= 0;
          size >>>= 0;
          const nic = nicOf(handle);
          if (nic === undefined || size > MAX_FRAME || size < ETHERNET_HEADER || !mem.inBounds(buf, size)) {
            return SOLO5_R_EINVAL;
          }
          if (nic.tap >= 0) {
            ctx.io.bytes = size;
            return taps!.write(nic.tap, mem, buf, size);
          }
          // A full transmit queue drops the frame, as a NIC whose ring is full does; the guest sees OK (the frame
          // left its hands) and the drop is counted for -v and the trace.
          if (txQueueFull(wake, nic.handle)) {
            Atomics.add(wake, WAKE_TX_DROPPED + nic.handle, 1);
            return SOLO5_R_OK;
          }
          const frame = mem.u8.slice(buf, buf + size);
          Atomics.add(wake, WAKE_SENT + nic.handle, 1);
          nic.link.port.postMessage(frame, [frame.buffer]);
          ctx.io.bytes = size;
          return SOLO5_R_OK;
        },

        net_read(handle: bigint, buf: number, size: number, readOut: number): number {
          buf >>>= 0;
          size >>>= 0;
          readOut >>>= 0;
          const nic = nicOf(handle);
          if (nic === undefined || !mem.inBounds(buf, size) || !mem.inBounds(readOut, 4)) return SOLO5_R_EINVAL;
          if (nic.tap >= 0) {
            const r = taps!.read(nic.tap, mem, buf, size, readOut);
            if (r === SOLO5_R_OK) ctx.io.bytes = mem.dv.getUint32(readOut, true);
            return r;
          }
          const msg = receiveMessageOnPort(nic.link.port);
          if (msg === undefined) return SOLO5_R_AGAIN;
          nic.consumed++;
          Atomics.store(wake, WAKE_CONSUMED + nic.handle, nic.consumed | 0);
          const frame = msg.message as Uint8Array;
          if (!(frame instanceof Uint8Array) || frame.length > size) return SOLO5_R_EINVAL;
          mem.u8.set(frame, buf);
          mem.dv.setUint32(readOut, frame.length, true);
          ctx.io.bytes = frame.length;
          return SOLO5_R_OK;
        },
      },
      ...(taps === null ? {} : { wait: (gen: number, ms: number) => taps.wait(gen, ms) }),
      ready(out: Uint32Array) {
        if (taps !== null) taps.ready(out);
        for (let i = 0; i < portNics.length; i++) {
          const nic = portNics[i]!;
          if (nic.acquired && Atomics.load(wake, WAKE_DELIVERED + nic.handle) !== (nic.consumed | 0)) {
            out[nic.handle >>> 5] |= 1 << (nic.handle & 31);
          }
        }
      },
      reset() {
        for (const nic of nics) nic.acquired = false;
        taps?.reset();
      },
      close() {
        for (const nic of nics) nic.link.port.close();
      },
    };
  },
};
