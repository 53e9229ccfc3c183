// Design 1 of secure storage: an in-memory file system inside the enclave (files and directories; open, read,
// write, truncate, rename, unlink, readdir, fsync), after the SGX Protected File System's split (Intel SGX SDK,
// sgx_tprotected_fs): the tree and every file's bytes live in enclave memory, which the EPC pager pages when it
// outgrows the EPC; the untrusted side only ever holds sealed records. fsync seals a snapshot of the whole
// file system (lib/seal, MRENCLAVE policy, so only this enclave on this platform can read it) with a sequence
// number and appends it to a log the guest keeps on a block device; when the log is full it is compacted to
// the newest snapshot alone. Mount replays the log and takes the newest record, refusing any record that fails
// authentication or breaks the sequence. Not covered: a log whose newest records were dropped as a whole
// reopens at the older state (no monotonic counter reaches the enclave yet).
import { seal, unseal, sealed_size, POLICY_MRENCLAVE } from '../lib/seal';
import { ocall_log_append, ocall_log_read, ocall_log_reset } from './generated/storagefs_t';
export { __emon_ms, __emon_ms_size } from './generated/storagefs_t';

const ENOENT: i32 = -2;
const EIO: i32 = -5;
const EBADF: i32 = -9;
const EEXIST: i32 = -17;
const ENOTDIR: i32 = -20;
const EISDIR: i32 = -21;
const EINVAL: i32 = -22;
const ENOSPC: i32 = -28;
const ENOTEMPTY: i32 = -39;

const MAGIC: u32 = 0x53464d45; // "EMFS"
/** The largest sealed record: it crosses to the guest through the OCALL scratch area. */
const MAX_RECORD: usize = 192 * 1024;
const RET: usize = memory.data(8, 8);
const AAD: usize = memory.data<u8>([0x65, 0x6d, 0x6f, 0x6e, 0x2d, 0x66, 0x73, 0x2f, 0x31]); // "emon-fs/1"
const AAD_LEN: usize = 9;
// The snapshot and its sealed record, allocated once: the enclave's runtime never frees, so fsync allocates nothing.
const SNAP = new Uint8Array(<i32>MAX_RECORD);
const BLOB = new Uint8Array(<i32>MAX_RECORD);

class Node {
  constructor(public path: string, public dir: bool, public data: Uint8Array, public size: i32) {}
}

let nodes = new Map<string, Node>();
let fds: Array<Node | null> = [];
let seq: u32 = 0;

function reset(): void {
  nodes = new Map<string, Node>();
  nodes.set('', new Node('', true, new Uint8Array(0), 0)); // the root, "/"
  fds = [];
}
reset();

/** "/a/b" -> "/a/b" checked; "" stands for the root; null if not absolute or with empty parts. */
function norm(p: usize): string | null {
  let n: usize = 0;
  while (load<u8>(p + n) != 0) n++;
  const s = String.UTF8.decodeUnsafe(p, n);
  if (s == '/') return '';
  if (s.length < 2 || s.charCodeAt(0) != 47 || s.charCodeAt(s.length - 1) == 47 || s.includes('//')) return null;
  return s;
}

function parentOf(path: string): string {
  return path.substring(0, path.lastIndexOf('/'));
}

function parentIsDir(path: string): i32 {
  const parent = parentOf(path);
  if (!nodes.has(parent)) return ENOENT;
  return nodes.get(parent).dir ? 0 : ENOTDIR;
}

function fdNode(fd: i32): Node | null {
  if (fd < 0 || fd >= fds.length) return null;
  return fds[fd];
}

export function fs_mkdir(p: usize): i32 {
  const path = norm(p);
  if (path === null) return EINVAL;
  if (nodes.has(path)) return EEXIST;
  const pr = parentIsDir(path);
  if (pr < 0) return pr;
  nodes.set(path, new Node(path, true, new Uint8Array(0), 0));
  return 0;
}

export function fs_open(p: usize, create: u32): i32 {
  const path = norm(p);
  if (path === null) return EINVAL;
  let node: Node;
  if (nodes.has(path)) {
    node = nodes.get(path);
    if (node.dir) return EISDIR;
  } else {
    if (create == 0) return ENOENT;
    const pr = parentIsDir(path);
    if (pr < 0) return pr;
    node = new Node(path, false, new Uint8Array(64), 0);
    nodes.set(path, node);
  }
  for (let i = 0; i < fds.length; i++) {
    if (fds[i] === null) {
      fds[i] = node;
      return i;
    }
  }
  fds.push(node);
  return fds.length - 1;
}

export function fs_close(fd: i32): i32 {
  if (fdNode(fd) === null) return EBADF;
  fds[fd] = null;
  return 0;
}

export function fs_read(fd: i32, offset: u32, buf: usize, len: usize): i32 {
  const node = fdNode(fd);
  if (node === null) return EBADF;
  if (<i32>offset >= node.size || offset > <u32>i32.MAX_VALUE) return 0;
  const n = <i32>min(<usize>(node.size - <i32>offset), len);
  memory.copy(buf, node.data.dataStart + offset, n);
  return n;
}

function ensure(node: Node, size: i32): void {
  if (size <= node.data.length) return;
  let cap = node.data.length * 2;
  if (cap < size) cap = size;
  const grown = new Uint8Array(cap);
  memory.copy(grown.dataStart, node.data.dataStart, node.size);
  node.data = grown;
}

export function fs_write(fd: i32, offset: u32, buf: usize, len: usize): i32 {
  const node = fdNode(fd);
  if (node === null) return EBADF;
  const end = <u64>offset + <u64>len;
  if (end > <u64>MAX_RECORD) return ENOSPC; // no file may outgrow what one sealed snapshot holds
  ensure(node, <i32>end);
  if (<i32>offset > node.size) memory.fill(node.data.dataStart + node.size, 0, offset - node.size);
  memory.copy(node.data.dataStart + offset, buf, len);
  if (<i32>end > node.size) node.size = <i32>end;
  return <i32>len;
}

export function fs_truncate(fd: i32, size: u32): i32 {
  const node = fdNode(fd);
  if (node === null) return EBADF;
  if (<usize>size > MAX_RECORD) return ENOSPC;
  ensure(node, <i32>size);
  if (<i32>size > node.size) memory.fill(node.data.dataStart + node.size, 0, size - node.size);
  node.size = <i32>size;
  return 0;
}

export function fs_size(fd: i32): i32 {
  const node = fdNode(fd);
  return node === null ? EBADF : node.size;
}

export function fs_rename(f: usize, t: usize): i32 {
  const from = norm(f);
  const to = norm(t);
  if (from === null || to === null || from == '') return EINVAL;
  if (!nodes.has(from)) return ENOENT;
  if (nodes.has(to)) return EEXIST;
  if (to.startsWith(from + '/')) return EINVAL;
  const pr = parentIsDir(to);
  if (pr < 0) return pr;
  const keys = nodes.keys();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (k == from || k.startsWith(from + '/')) {
      const node = nodes.get(k);
      nodes.delete(k);
      node.path = to + k.substring(from.length);
      nodes.set(node.path, node);
    }
  }
  return 0;
}

export function fs_unlink(p: usize): i32 {
  const path = norm(p);
  if (path === null || path == '') return EINVAL;
  if (!nodes.has(path)) return ENOENT;
  const node = nodes.get(path);
  if (node.dir) {
    const keys = nodes.keys();
    for (let i = 0; i < keys.length; i++) if (keys[i].startsWith(path + '/')) return ENOTEMPTY;
  }
  nodes.delete(path);
  for (let i = 0; i < fds.length; i++) if (fds[i] === node) fds[i] = null;
  return 0;
}

export function fs_readdir(p: usize, out: usize, cap: usize): i32 {
  const path = norm(p);
  if (path === null) return EINVAL;
  if (!nodes.has(path)) return ENOENT;
  if (!nodes.get(path).dir) return ENOTDIR;
  const keys = nodes.keys();
  let n: usize = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (k == '' || parentOf(k) != path) continue;
    const name = String.UTF8.encode(k.substring(path.length + 1));
    const len = <usize>name.byteLength;
    if (n + len + 1 > cap) return ENOSPC;
    memory.copy(out + n, changetype<usize>(name), len);
    store<u8>(out + n + len, 10);
    n += len + 1;
  }
  return <i32>n;
}

/** The snapshot into SNAP: magic, seq, count, then per node: dir u8, path length u32, path, size u32, bytes. Its length, or -1 if too large. */
function serialize(): i32 {
  const keys = nodes.keys();
  let total: usize = 12;
  for (let i = 0; i < keys.length; i++) {
    const node = nodes.get(keys[i]);
    total += 9 + <usize>String.UTF8.byteLength(node.path) + <usize>node.size;
  }
  if (total > MAX_RECORD) return -1;
  let p = SNAP.dataStart;
  store<u32>(p, MAGIC);
  store<u32>(p + 4, seq);
  store<u32>(p + 8, keys.length);
  p += 12;
  for (let i = 0; i < keys.length; i++) {
    const node = nodes.get(keys[i]);
    store<u8>(p, node.dir ? 1 : 0);
    const nameLen = <usize>String.UTF8.encodeUnsafe(changetype<usize>(node.path), node.path.length, p + 5);
    store<u32>(p + 1, <u32>nameLen);
    p += 5 + nameLen;
    store<u32>(p, node.size);
    memory.copy(p + 4, node.data.dataStart, node.size);
    p += 4 + node.size;
  }
  return <i32>total;
}

/** Rebuilds the tree from an authenticated snapshot of `len` bytes at p; false if it is malformed. */
function deserialize(p: usize, len: usize): bool {
  if (len < 12 || load<u32>(p) != MAGIC) return false;
  const count = load<u32>(p + 8);
  const end = p + len;
  let q = p + 12;
  reset();
  for (let i: u32 = 0; i < count; i++) {
    if (q + 5 > end) return false;
    const dir = load<u8>(q) == 1;
    const nameLen = <usize>load<u32>(q + 1);
    if (q + 5 + nameLen + 4 > end) return false;
    const path = String.UTF8.decodeUnsafe(q + 5, nameLen);
    q += 5 + nameLen;
    const size = <usize>load<u32>(q);
    if (q + 4 + size > end) return false;
    const data = new Uint8Array(<i32>max<usize>(size, 64));
    memory.copy(data.dataStart, q + 4, size);
    q += 4 + size;
    nodes.set(path, new Node(path, dir, data, <i32>size));
  }
  return true;
}

export function fs_fsync(): i32 {
  const len = serialize();
  if (len < 0 || sealed_size(AAD_LEN, <usize>len) > MAX_RECORD) return ENOSPC;
  seq++;
  store<u32>(SNAP.dataStart + 4, seq);
  const n = seal(POLICY_MRENCLAVE, AAD, AAD_LEN, SNAP.dataStart, <usize>len, BLOB.dataStart, MAX_RECORD);
  memory.fill(SNAP.dataStart, 0, <usize>len);
  if (n < 0) return EIO;
  if (ocall_log_append(RET, BLOB.dataStart, <usize>n) != 0) return EIO;
  let r = load<i32>(RET);
  if (r == ENOSPC) {
    // Compaction: the newest snapshot alone replaces the whole log.
    if (ocall_log_reset(RET) != 0 || load<i32>(RET) != 0) return EIO;
    if (ocall_log_append(RET, BLOB.dataStart, <usize>n) != 0) return EIO;
    r = load<i32>(RET);
  }
  return r == 0 ? 0 : EIO;
}

export function fs_mount(): i32 {
  const rec = BLOB;
  const plain = SNAP;
  let taken: i32 = 0;
  let last: u32 = 0;
  let lastLen: i32 = -1;
  const keep = new Uint8Array(<i32>MAX_RECORD);
  for (let i: u32 = 0; ; i++) {
    if (ocall_log_read(RET, i, rec.dataStart, MAX_RECORD) != 0) return EIO;
    const len = load<i32>(RET);
    if (len == 0) break;
    if (len < 0 || <usize>len > MAX_RECORD) return EIO;
    const n = unseal(rec.dataStart, <usize>len, plain.dataStart, MAX_RECORD);
    if (n < 12 || load<u32>(plain.dataStart) != MAGIC) return EIO;
    const s = load<u32>(plain.dataStart + 4);
    if (taken > 0 && s != last + 1) return EIO; // a record dropped, replayed or reordered inside the log
    last = s;
    taken++;
    lastLen = n;
    memory.copy(keep.dataStart, plain.dataStart, <usize>n);
  }
  if (lastLen >= 0) {
    if (!deserialize(keep.dataStart, <usize>lastLen)) return EIO;
    seq = last;
  }
  return taken;
}
