// blk: writes a pattern to the first blocks of the "storage" device, reads it back and verifies it, then
// checks that I/O Solo5 forbids (unaligned, past the end) is refused with EINVAL, as Solo5's test_blk does.
import { BlockDevice, puts, SOLO5_R_EINVAL, SOLO5_R_OK, lastResult } from "../../as/index";

const BLOCKS: u64 = 16;

export function solo5_app_main(startInfo: usize): i32 {
  const dev = BlockDevice.acquire("storage");
  if (dev === null) {
    puts("blk: cannot acquire 'storage' (result " + lastResult.toString() + ")");
    return 1;
  }
  puts("blk: capacity " + dev.capacity.toString() + " bytes, block size " + dev.blockSize.toString());
  const bs = <i32>dev.blockSize;
  const wbuf = new Uint8Array(bs);
  const rbuf = new Uint8Array(bs);
  const n = dev.capacity / dev.blockSize < BLOCKS ? dev.capacity / dev.blockSize : BLOCKS;
  for (let blk: u64 = 0; blk < n; blk++) {
    for (let i = 0; i < bs; i++) wbuf[i] = <u8>((<u64>i * 7 + blk * 13) & 0xff);
    if (dev.write(blk * dev.blockSize, wbuf) != SOLO5_R_OK) {
      puts("blk: write of block " + blk.toString() + " failed");
      return 1;
    }
  }
  for (let blk: u64 = 0; blk < n; blk++) {
    if (dev.read(blk * dev.blockSize, rbuf) != SOLO5_R_OK) {
      puts("blk: read of block " + blk.toString() + " failed");
      return 1;
    }
    for (let i = 0; i < bs; i++) {
      if (rbuf[i] != <u8>((<u64>i * 7 + blk * 13) & 0xff)) {
        puts("blk: block " + blk.toString() + " differs at byte " + i.toString());
        return 1;
      }
    }
  }
  puts("blk: wrote, read back and verified " + n.toString() + " blocks");
  if (dev.write(1, wbuf) != SOLO5_R_EINVAL || dev.read(dev.capacity, rbuf) != SOLO5_R_EINVAL) {
    puts("blk: unaligned or out-of-range I/O was not refused");
    return 1;
  }
  puts("blk: unaligned and out-of-range I/O refused with EINVAL");
  puts("SUCCESS");
  return 0;
}
