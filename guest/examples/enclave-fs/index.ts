// Design 1 of secure storage from a guest: files and directories kept by the storage-fs enclave, persisted as
// the enclave's sealed log on the "storage" block device. The guest is the untrusted side: it stores sealed
// records it cannot read (the OCALL handlers below). The first boot builds a small tree and fsyncs it often
// enough to make the enclave compact the log; every later boot checks what the previous one left and adds to it.
//
// Log layout on the device: block 0 = "EMLG", record count u32, then (first block u32, length u32) per record;
// records follow from block 1, each starting on a block boundary.
import { BlockDevice, puts } from "../../as/index";
import {
  fs_open as ecall_open, fs_close, fs_fsync, fs_mkdir, fs_mount, fs_read, fs_readdir, fs_rename, fs_size, fs_truncate,
  fs_unlink, fs_write, storagefs_open,
} from "./generated/storagefs_u";

const LOG_MAGIC: u32 = 0x474c4d45; // "EMLG"
const RET: usize = memory.data(8, 8);
let disk: BlockDevice | null = null;
let bs: u32 = 0;
let enclave: i32 = -1;

function header(): Uint8Array {
  const h = new Uint8Array(<i32>bs);
  if (disk!.read(0, h) != 0) return h;
  if (load<u32>(h.dataStart) != LOG_MAGIC) {
    h.fill(0);
    store<u32>(h.dataStart, LOG_MAGIC);
  }
  return h;
}

export function ocall_log_append(rec: usize, len: usize): i32 {
  const h = header();
  const count = load<u32>(h.dataStart + 4);
  if (<u32>8 + (count + 1) * 8 > bs) return -28;
  const first: u32 = count == 0 ? 1 : load<u32>(h.dataStart + 8 * count) + (load<u32>(h.dataStart + 8 * count + 4) + bs - 1) / bs;
  const blocks = (<u32>len + bs - 1) / bs;
  if (<u64>(first + blocks) * <u64>bs > disk!.capacity) return -28;
  const buf = new Uint8Array(<i32>(blocks * bs));
  memory.copy(buf.dataStart, rec, len);
  if (disk!.write(<u64>first * <u64>bs, buf) != 0) return -5;
  store<u32>(h.dataStart + 8 + 8 * count, first);
  store<u32>(h.dataStart + 12 + 8 * count, <u32>len);
  store<u32>(h.dataStart + 4, count + 1);
  return disk!.write(0, h) == 0 ? 0 : -5;
}

export function ocall_log_read(index: u32, rec: usize, cap: usize): i32 {
  const h = header();
  if (index >= load<u32>(h.dataStart + 4)) return 0;
  const first = load<u32>(h.dataStart + 8 + 8 * index);
  const len = load<u32>(h.dataStart + 12 + 8 * index);
  if (<usize>len > cap) return -22;
  const blocks = (len + bs - 1) / bs;
  const buf = new Uint8Array(<i32>(blocks * bs));
  if (disk!.read(<u64>first * <u64>bs, buf) != 0) return -5;
  memory.copy(rec, buf.dataStart, len);
  return <i32>len;
}

export function ocall_log_reset(): i32 {
  const h = new Uint8Array(<i32>bs);
  store<u32>(h.dataStart, LOG_MAGIC);
  return disk!.write(0, h) == 0 ? 0 : -5;
}

/** The result of one ECALL, or -1000 - status when the call itself failed. */
function r(status: i32): i32 {
  return status == 0 ? load<i32>(RET) : -1000 - status;
}
function cstr(s: string): usize {
  return changetype<usize>(String.UTF8.encode(s, true));
}
function open(path: string, create: bool): i32 {
  return r(ecall_open(enclave, RET, cstr(path), create ? 1 : 0));
}
function writeText(fd: i32, offset: u32, text: string): i32 {
  const b = String.UTF8.encode(text);
  return r(fs_write(enclave, RET, fd, offset, changetype<usize>(b), b.byteLength));
}
function readText(path: string): string | null {
  const fd = open(path, false);
  if (fd < 0) return null;
  const size = r(fs_size(enclave, RET, fd));
  const buf = new Uint8Array(max(size, 1));
  const n = r(fs_read(enclave, RET, fd, 0, buf.dataStart, size));
  r(fs_close(enclave, RET, fd));
  return n < 0 ? null : String.UTF8.decodeUnsafe(buf.dataStart, n);
}
function list(path: string): string {
  const buf = new Uint8Array(1024);
  const n = r(fs_readdir(enclave, RET, cstr(path), buf.dataStart, 1024));
  return n < 0 ? "error " + n.toString() : String.UTF8.decodeUnsafe(buf.dataStart, n).replaceAll("\n", " ").trim();
}
function fail(what: string, rc: i32): i32 {
  puts("fs: " + what + " failed: " + rc.toString());
  return 1;
}

export function solo5_app_main(_startInfo: usize): i32 {
  disk = BlockDevice.acquire("storage");
  if (disk === null) return fail("block_acquire", -1);
  bs = <u32>disk!.blockSize;
  enclave = storagefs_open("fs");
  if (enclave < 0) return fail("enclave open", enclave);
  const records = r(fs_mount(enclave, RET));
  if (records < 0) return fail("mount (the sealed log was altered, reordered or is not this enclave's)", records);
  if (records == 0) {
    let rc = r(fs_mkdir(enclave, RET, cstr("/docs")));
    if (rc != 0) return fail("mkdir /docs", rc);
    const fd = open("/docs/draft.txt", true);
    if (fd < 0) return fail("create /docs/draft.txt", fd);
    if (writeText(fd, 0, "kept by an enclave; scratch scratch scratch") < 0) return fail("write", -1);
    if ((rc = r(fs_truncate(enclave, RET, fd, 18))) != 0) return fail("truncate", rc);
    r(fs_close(enclave, RET, fd));
    if ((rc = r(fs_rename(enclave, RET, cstr("/docs/draft.txt"), cstr("/docs/note.txt")))) != 0) return fail("rename", rc);
    const tmp = open("/docs/tmp", true);
    r(fs_close(enclave, RET, tmp));
    if ((rc = r(fs_unlink(enclave, RET, cstr("/docs/tmp")))) != 0) return fail("unlink", rc);
    // Enough fsyncs to fill the log and make the enclave compact it.
    for (let i = 0; i < 40; i++) if ((rc = r(fs_fsync(enclave, RET))) != 0) return fail("fsync", rc);
    puts("fs: created /docs/note.txt; /docs holds: " + list("/docs"));
  } else {
    const note = readText("/docs/note.txt");
    if (note === null || !note.startsWith("kept by an enclave")) return fail("reading /docs/note.txt back", -1);
    const runs = list("/docs").split(" ").length;
    const fd = open("/docs/run" + runs.toString(), true);
    if (writeText(fd, 0, "run " + runs.toString()) < 0) return fail("write", -1);
    r(fs_close(enclave, RET, fd));
    const rc = r(fs_fsync(enclave, RET));
    if (rc != 0) return fail("fsync", rc);
    puts("fs: mounted " + records.toString() + " sealed record(s); /docs/note.txt reads '" + note + "'; /docs holds: " + list("/docs"));
  }
  puts("SUCCESS");
  return 0;
}
