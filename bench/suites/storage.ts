/**
 * What secure storage costs (the storage issue's benchmark): 4 KiB random reads and writes and 1 MiB
 * sequential reads and writes on a plain file-backed device (O_DSYNC, as runtime/monitor/devices/block.ts
 * opens it) and on design 3 (`sealed`) and design 2 (`epc`), all at the same durability: every write is
 * durable and, for the secure designs, committed (design 2 is flushed after each write for the comparison).
 * The floors of the targets are measured in the same run as composite cases: a plain read plus one
 * 4 KiB AEAD open, and a plain write plus one 4 KiB seal plus the hash tree update (a leaf page and the root
 * rehashed). Design 1 (the enclave file system, ../storage/fs.ts) is measured through the real gate; the SQLite
 * workload is not measured (docs/storage.md).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchCase, BenchSuite } from '../suite.js';
import { WasmCrypto } from '../../runtime/hw/crypto/index.js';
import { loadPlatform } from '../../runtime/hw/sgx/platform.js';
import { FileBacking } from '../../runtime/monitor/devices/file-backing.js';
import { EpcStore } from '../../runtime/storage/epc.js';
import { SealedStore } from '../../runtime/storage/sealed.js';
import { geometry } from '../../runtime/storage/layout.js';
import type { BlockStore } from '../../runtime/storage/store.js';
import { fsCases, fsTeardown } from '../storage/fs.js';

const BS = 4096;
/** 8 MiB devices (2 MiB with --quick). */
let BLOCKS = 2048;
const MIB = 1 << 20;
let tmp: string | null = null;
const stores: BlockStore[] = [];
const fds: number[] = [];

/** A xorshift block picker, the same sequence for every design. */
function picker(): () => number {
  let x = 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % BLOCKS;
  };
}

export const suite: BenchSuite = {
  name: 'storage',
  description: 'secure storage: 4 KiB random and 1 MiB sequential I/O on a plain device and on designs 3 (sealed), 2 (epc) and 1 (fs, 4 KiB only), same durability',

  async setup(ctx): Promise<BenchCase[]> {
    BLOCKS = ctx.quick ? 512 : 2048;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'emon-bench-storage-'));
    const stateDir = path.join(tmp, 'platform');
    const platform = loadPlatform(stateDir);
    const crypto = WasmCrypto.create();
    const plainFd = fs.openSync(path.join(tmp, 'plain.img'), fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_DSYNC, 0o600);
    fds.push(plainFd);
    fs.ftruncateSync(plainFd, BLOCKS * BS);
    const fill = new Uint8Array(MIB).map((_, i) => (i * 31) & 0xff);
    for (let o = 0; o < BLOCKS * BS; o += MIB) fs.writeSync(plainFd, fill, 0, MIB, o);
    const open = (design: 'sealed' | 'epc'): BlockStore => {
      const backing = FileBacking.open(path.join(tmp!, `${design}.img`), true);
      const opts = { platform, stateDir, crypto, create: { blockSize: BS, blocks: BLOCKS } };
      const s = design === 'epc' ? EpcStore.open(backing, opts) : SealedStore.open(backing, { ...opts, commitEachWrite: false });
      for (let b = 0; b < BLOCKS; b += MIB / BS) s.writeRun(b, fill);
      s.flush();
      stores.push(s);
      return s;
    };
    const sealed = open('sealed');
    const epc = open('epc');

    const buf = new Uint8Array(BS);
    const big = new Uint8Array(MIB);
    const key = crypto.sha256(new Uint8Array(1));
    const nonce = new Uint8Array(12);
    const sealedBlock = crypto.seal(key, nonce, buf);
    const scratch = new Uint8Array(BS + 16);
    const leafPage = new Uint8Array(4096);
    const nodes = new Uint8Array(geometry(BS, BLOCKS).leafPages * 32);
    const pick = { plain: picker(), sealed: picker(), epc: picker(), floorR: picker(), floorW: picker() };
    let seq = 0;
    const nextSeq = () => (seq = (seq + MIB / BS) % BLOCKS);
    const plainRead = (b: number) => fs.readSync(plainFd, buf, 0, BS, b * BS);
    const plainWrite = (b: number) => fs.writeSync(plainFd, buf, 0, BS, b * BS);
    // Sizes as labels, not numbers: the report then draws one bar per case (time per op, all designs side by side).
    const p = (op: string, design: string, size: number) => ({ op, design, size: size === MIB ? '1 MiB' : `${size / 1024} KiB` });

    const design1 = await fsCases(tmp, p);
    return [
      ...design1,
      { name: 'read4k/plain', bytes: BS, params: p('read', 'plain', BS), run: (n) => { for (let i = 0; i < n; i++) plainRead(pick.plain()); } },
      {
        name: 'read4k/plain+open',
        bytes: BS,
        params: p('read', 'floor: plain + AEAD open', BS),
        run(n) {
          for (let i = 0; i < n; i++) {
            fs.readSync(plainFd, scratch, 0, BS, pick.floorR() * BS);
            scratch.set(sealedBlock);
            if (!crypto.openInto(key, nonce, scratch, buf)) throw new Error('open failed');
          }
        },
      },
      { name: 'read4k/sealed', bytes: BS, params: p('read', 'sealed', BS), baselines: ['read4k/plain', 'read4k/plain+open'], target: { against: 'read4k/plain+open', ratio: 1.5 }, run: (n) => { for (let i = 0; i < n; i++) sealed.read(pick.sealed(), buf); } },
      { name: 'read4k/epc', bytes: BS, params: p('read', 'epc', BS), baselines: ['read4k/plain'], run: (n) => { for (let i = 0; i < n; i++) epc.read(pick.epc(), buf); } },
      { name: 'write4k/plain', bytes: BS, params: p('write', 'plain', BS), run: (n) => { for (let i = 0; i < n; i++) plainWrite(pick.plain()); } },
      {
        name: 'write4k/plain+seal+tree',
        bytes: BS,
        params: p('write', 'floor: plain + seal + tree', BS),
        run(n) {
          for (let i = 0; i < n; i++) {
            crypto.sealInto(key, nonce, buf, scratch);
            fs.writeSync(plainFd, scratch, 0, BS, pick.floorW() * BS);
            nodes.set(crypto.sha256(leafPage));
            crypto.sha256(nodes);
          }
        },
      },
      {
        name: 'write4k/sealed',
        bytes: BS,
        params: p('write', 'sealed', BS),
        baselines: ['write4k/plain', 'write4k/plain+seal+tree'],
        target: { against: 'write4k/plain+seal+tree', ratio: 1.5 },
        run(n) {
          for (let i = 0; i < n; i++) {
            sealed.write(pick.sealed(), buf);
            sealed.flush();
          }
        },
      },
      {
        name: 'write4k/epc',
        bytes: BS,
        params: p('write', 'epc', BS),
        baselines: ['write4k/plain'],
        run(n) {
          for (let i = 0; i < n; i++) {
            epc.write(pick.epc(), buf);
            epc.flush();
          }
        },
      },
      { name: 'seqread1m/plain', bytes: MIB, params: p('seqread', 'plain', MIB), run: (n) => { for (let i = 0; i < n; i++) fs.readSync(plainFd, big, 0, MIB, nextSeq() * BS); } },
      {
        name: 'seqread1m/sealed',
        bytes: MIB,
        params: p('seqread', 'sealed', MIB),
        baselines: ['seqread1m/plain'],
        run(n) {
          for (let i = 0; i < n; i++) {
            const first = nextSeq();
            for (let b = 0; b < MIB / BS; b++) sealed.read(first + b, big.subarray(b * BS, (b + 1) * BS));
          }
        },
      },
      {
        name: 'seqread1m/epc',
        bytes: MIB,
        params: p('seqread', 'epc', MIB),
        baselines: ['seqread1m/plain'],
        run(n) {
          for (let i = 0; i < n; i++) {
            const first = nextSeq();
            for (let b = 0; b < MIB / BS; b++) epc.read(first + b, big.subarray(b * BS, (b + 1) * BS));
          }
        },
      },
      { name: 'seqwrite1m/plain', bytes: MIB, params: p('seqwrite', 'plain', MIB), run: (n) => { for (let i = 0; i < n; i++) fs.writeSync(plainFd, big, 0, MIB, nextSeq() * BS); } },
      {
        name: 'seqwrite1m/sealed',
        bytes: MIB,
        params: p('seqwrite', 'sealed', MIB),
        baselines: ['seqwrite1m/plain'],
        run(n) {
          for (let i = 0; i < n; i++) {
            sealed.writeRun(nextSeq(), big);
            sealed.flush();
          }
        },
      },
      {
        name: 'seqwrite1m/epc',
        bytes: MIB,
        params: p('seqwrite', 'epc', MIB),
        baselines: ['seqwrite1m/plain'],
        run(n) {
          for (let i = 0; i < n; i++) {
            epc.writeRun(nextSeq(), big);
            epc.flush();
          }
        },
      },
    ];
  },

  async teardown() {
    fsTeardown();
    for (const s of stores.splice(0)) s.close();
    for (const fd of fds.splice(0)) fs.closeSync(fd);
    if (tmp !== null) fs.rmSync(tmp, { recursive: true, force: true });
    tmp = null;
  },
};
