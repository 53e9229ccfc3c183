/**
 * Block device (Solo5 BLOCK_BASIC, tenders/hvt/hvt_module_blk.c): a file-backed image read and written in
 * whole blocks. `--block:NAME=PATH[,size=BYTES][,sector=BYTES]`: the image must exist unless size= is given,
 * in which case it is created or extended (never shrunk) to that size; sector= (or Solo5's
 * `--block-sector-size:NAME=N`, folded into it by ../runargs.ts) sets the block size (default 512). As in
 * Solo5, the block size is a power of two of at least 512 and the image a whole number of blocks. The file is opened once with O_DSYNC so a write is durable when block_write returns, and I/O goes
 * straight between the file and guest memory (fs.readSync/writeSync into the memory view, no copy).
 * `,secure=sealed|epc` makes it a secure device (./secure-block.ts): the same guest ABI over a trusted store.
 */
import fs from 'node:fs';
import { EmonError } from '../../errors.js';
import { BLOCK_INFO_SIZE, SOLO5_R_EINVAL, SOLO5_R_EUNSPEC, SOLO5_R_OK, MAX_DEVICE_NAME_BYTES } from '../abi.js';
import type { DeviceContext, DeviceInstance, DeviceModule } from '../device.js';
import { openSecure, prepareSecure, SECURE_DEFAULT_SECTOR, SECURE_DESIGNS, type SecureDisk } from './secure-block.js';

export const DEFAULT_BLOCK_SIZE = 512;

interface BlockSpec {
  readonly path: string;
  readonly size: number | undefined;
  readonly sector: number;
  readonly secure: (typeof SECURE_DESIGNS)[number] | undefined;
}

function parseSize(text: string): number | null {
  const m = /^(\d+)([KMG]i?)?B?$/i.exec(text);
  if (!m) return null;
  const unit = (m[2] ?? '').toUpperCase()[0];
  const mult = unit === 'K' ? 1024 : unit === 'M' ? 1024 ** 2 : unit === 'G' ? 1024 ** 3 : 1;
  return Number(m[1]) * mult;
}

function parseSpec(guest: string, name: string, value: string): BlockSpec {
  const [path, ...opts] = value.split(',');
  const where = `--block:${name}=${value} for guest ${guest}`;
  if (!path) throw new EmonError('E_ATTACH', `${where}: no image path`, { hint: 'write --block:NAME=PATH' });
  let size: number | undefined;
  let sector: number | undefined;
  let secure: BlockSpec['secure'];
  for (const opt of opts) {
    const [k, v = ''] = opt.split('=');
    if (k === 'secure') {
      secure = SECURE_DESIGNS.find((d) => d === v);
      if (secure === undefined) throw new EmonError('E_ATTACH', `${where}: unknown secure design "${v}"`, { hint: 'write secure=sealed (design 3) or secure=epc (design 2); see docs/storage.md' });
      continue;
    }
    const n = parseSize(v);
    if ((k !== 'size' && k !== 'sector') || n === null) {
      throw new EmonError('E_ATTACH', `${where}: unknown option "${opt}"`, { hint: 'options are size=BYTES[K|M|G], sector=BYTES and secure=sealed|epc' });
    }
    if (k === 'size') size = n;
    else sector = n;
  }
  sector ??= secure === undefined ? DEFAULT_BLOCK_SIZE : SECURE_DEFAULT_SECTOR;
  if (sector < 512 || sector > 65536 || (sector & (sector - 1)) !== 0) {
    throw new EmonError('E_ATTACH', `${where}: sector size ${sector} is not a power of two between 512 and 65536`);
  }
  if (size !== undefined && size % sector !== 0) {
    throw new EmonError('E_ATTACH', `${where}: size ${size} is not a multiple of the ${sector}-byte block size`);
  }
  return { path, size, sector, secure };
}

interface Disk {
  readonly name: string;
  readonly handle: number;
  readonly fd: number;
  readonly capacity: number;
  /** The same as a bigint, made once so the per-call range check allocates nothing. */
  readonly capacityBig: bigint;
  readonly blockSize: number;
  /** Set for a secure device: I/O goes through its trusted store. */
  readonly secure: SecureDisk | undefined;
  acquired: boolean;
}

function openImage(guest: string, name: string, spec: BlockSpec): { fd: number; capacity: number } {
  try {
    const fd = fs.openSync(spec.path, fs.constants.O_RDWR | fs.constants.O_DSYNC);
    const bytes = fs.fstatSync(fd).size;
    if (bytes % spec.sector !== 0) {
      fs.closeSync(fd);
      // prepare() refused this already; the image changed size since.
      throw Object.assign(new Error(`image size ${bytes} is not a multiple of the block size (${spec.sector})`), { code: undefined });
    }
    return { fd, capacity: bytes };
  } catch (e) {
    throw new EmonError('E_ATTACH', `cannot open block image ${spec.path} for device "${name}" of guest ${guest}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      hint: 'create it first, or add ,size=BYTES to have emon create it (e.g. --block:storage=disk.img,size=1M)',
    });
  }
}

export const blockDevice: DeviceModule = {
  optionKind: 'block',
  deviceType: 'BLOCK_BASIC',
  optionHelp: '--block:NAME=PATH[,size=N[K|M|G]][,sector=N][,secure=sealed|epc]  attach a file-backed block device (size= creates/extends it; secure= seals it, docs/storage.md)',

  /**
   * Solo5's checks before the unikernel starts (tenders/common/block_attach.c): the image must exist and its
   * size must be a whole number of blocks. They run before anything is written, so a refused image is left
   * exactly as it was; only then does `,size=` (an emon extension) create or extend it.
   */
  prepare(guest, name, value) {
    const spec = parseSpec(guest, name, value);
    if (spec.secure !== undefined) return prepareSecure(guest, name, spec as Parameters<typeof prepareSecure>[2]);
    let bytes: number | undefined;
    try {
      const st = fs.statSync(spec.path, { throwIfNoEntry: false });
      if (st !== undefined && !st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
      bytes = st?.size;
    } catch (e) {
      throw new EmonError('E_ATTACH', `cannot open block image ${spec.path} for device "${name}" of guest ${guest}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (bytes === undefined && spec.size === undefined) openImage(guest, name, spec); // throws ENOENT with the hint
    const final = Math.max(bytes ?? 0, spec.size ?? 0);
    if (final % spec.sector !== 0) {
      throw new EmonError('E_ATTACH', `block image ${spec.path} for device "${name}" of guest ${guest}: image size ${final} is not a multiple of the block size (${spec.sector})`, {
        hint: `resize it to a whole number of ${spec.sector}-byte blocks (truncate -s) or choose another --block-sector-size:${name}=`,
      });
    }
    if (final === 0) {
      throw new EmonError('E_ATTACH', `block image ${spec.path} for device "${name}" of guest ${guest} is empty`, {
        hint: 'add ,size=BYTES to size it',
      });
    }
    if (spec.size !== undefined && (bytes ?? 0) < spec.size) {
      try {
        const fd = fs.openSync(spec.path, 'a+');
        fs.ftruncateSync(fd, spec.size);
        fs.closeSync(fd);
      } catch (e) {
        throw new EmonError('E_ATTACH', `cannot create block image ${spec.path} for device "${name}" of guest ${guest}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    const { fd } = openImage(guest, name, spec);
    fs.closeSync(fd);
  },

  create(ctx: DeviceContext, attached): DeviceInstance {
    const byHandle: (Disk | undefined)[] = [];
    const byName = new Map<string, Disk>();
    ctx.manifest.devices.forEach((d, handle) => {
      if (d.type !== 'BLOCK_BASIC') return;
      const value = attached.get(d.name);
      if (value === undefined) return;
      const spec = parseSpec(ctx.guest, d.name, value);
      const secure = spec.secure === undefined ? undefined : openSecure(ctx.guest, d.name, spec as Parameters<typeof openSecure>[2], ctx.options ?? {}, (line) => process.stderr.write(`${line}\n`));
      const { fd, capacity } = secure === undefined ? openImage(ctx.guest, d.name, spec) : { fd: -1, capacity: secure.capacity };
      const disk: Disk = { name: d.name, handle, fd, capacity, capacityBig: BigInt(capacity), blockSize: secure?.blockSize ?? spec.sector, secure, acquired: false };
      byHandle[handle] = disk;
      byName.set(d.name, disk);
    });
    const mem = ctx.mem;

    function acquire(namePtr: number, handleOut: number, infoOut: number): number {
      namePtr >>>= 0;
      handleOut >>>= 0;
      infoOut >>>= 0;
      if (!mem.inBounds(handleOut, 8) || !mem.inBounds(infoOut, BLOCK_INFO_SIZE)) return SOLO5_R_EINVAL;
      const name = mem.cString(namePtr, MAX_DEVICE_NAME_BYTES);
      if (name === null) return SOLO5_R_EINVAL;
      const disk = byName.get(name);
      if (disk === undefined) {
        if (!ctx.manifest.devices.some((d) => d.name === name)) {
          ctx.abort(`block_acquire("${name}"): the manifest declares no such device`);
        }
        return SOLO5_R_EINVAL;
      }
      if (disk.acquired) return SOLO5_R_EINVAL;
      disk.acquired = true;
      const dv = mem.dv;
      dv.setBigUint64(handleOut, BigInt(disk.handle), true);
      dv.setBigUint64(infoOut, BigInt(disk.capacity), true);
      dv.setBigUint64(infoOut + 8, BigInt(disk.blockSize), true);
      return SOLO5_R_OK;
    }

    /** Shared checks of block_read/block_write; returns the disk or undefined for EINVAL. */
    function check(handle: bigint, offset: bigint, buf: number, size: number): Disk | undefined {
      const disk = handle >= 0n && handle < 64n ? byHandle[Number(handle)] : undefined;
      if (disk === undefined || !disk.acquired) return undefined;
      if (offset < 0n || offset >= disk.capacityBig || size === 0) return undefined;
      const off = Number(offset);
      const bs = disk.blockSize;
      if (off % bs !== 0 || size % bs !== 0 || off + size > disk.capacity) return undefined;
      if (!mem.inBounds(buf, size)) return undefined;
      return disk;
    }

    function io(write: boolean, handle: bigint, offset: bigint, buf: number, size: number): number {
      buf >>>= 0;
      size >>>= 0;
      const disk = check(handle, offset, buf, size);
      if (disk === undefined) return SOLO5_R_EINVAL;
      if (disk.secure !== undefined) {
        ctx.io.bytes = size;
        return disk.secure.io(write, Number(offset), mem.u8, buf, size);
      }
      try {
        const off = Number(offset);
        let done = 0;
        while (done < size) {
          const n = write
            ? fs.writeSync(disk.fd, mem.u8, buf + done, size - done, off + done)
            : fs.readSync(disk.fd, mem.u8, buf + done, size - done, off + done);
          if (n <= 0) return SOLO5_R_EUNSPEC;
          done += n;
        }
        ctx.io.bytes = size;
        return SOLO5_R_OK;
      } catch {
        return SOLO5_R_EUNSPEC;
      }
    }

    return {
      hypercalls: {
        block_acquire: acquire,
        block_read: (h: bigint, o: bigint, b: number, s: number) => io(false, h, o, b, s),
        block_write: (h: bigint, o: bigint, b: number, s: number) => io(true, h, o, b, s),
      },
      reset() {
        for (const d of byName.values()) d.acquired = false;
      },
      close() {
        for (const d of byName.values()) {
          if (d.secure !== undefined) d.secure.close();
          else fs.closeSync(d.fd);
        }
        byName.clear();
      },
    };
  },
};
