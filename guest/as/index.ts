// emon guest SDK for AssemblyScript: a thin, allocation-aware layer over the Solo5 hypercalls (./solo5.ts),
// in the spirit of Solo5's bindings. Guests export `solo5_app_main(start_info: usize): i32` and are compiled
// with the stub runtime (see runtime/build/steps/20-guests.ts for why) and `--use abort=` pointing at
// `abortHandler` below, so AssemblyScript assertion failures end the guest through solo5 abort.
import * as solo5 from "./solo5";
export * from "./solo5";

// Out-parameters of hypercalls live in one static scratch area, so no call allocates.
const scratch: usize = memory.data(32, 8);

/** Writes a string (UTF-8) to the console. */
export function write(s: string): void {
  const buf = String.UTF8.encode(s);
  solo5.console_write(changetype<usize>(buf), <usize>buf.byteLength);
}

/** Writes a string and a newline to the console. */
export function puts(s: string): void {
  write(s + "\n");
}

/** The command line the monitor passed (after `--` on the emon command line). */
export function cmdline(startInfo: usize): string {
  const p = load<u32>(startInfo);
  let n: usize = 0;
  while (load<u8>(<usize>p + n) != 0) n++;
  return String.UTF8.decodeUnsafe(<usize>p, n);
}

/** Start of the heap the monitor offers in solo5_start_info, and its size. */
export function heapStart(startInfo: usize): usize {
  return load<u32>(startInfo, 4);
}
export function heapSize(startInfo: usize): usize {
  return load<u32>(startInfo, 8);
}

/** Nanoseconds since boot. */
export function monotonic(): u64 {
  return solo5.clock_monotonic();
}

/** Nanoseconds since the Unix epoch. */
export function wallClock(): u64 {
  return solo5.clock_wall();
}

/** Blocks until `deadline` (monotonic ns) or until a net handle is readable; returns the ready handle set. */
export function yieldUntil(deadline: u64): u64 {
  solo5.solo5_yield(deadline, scratch);
  return load<u64>(scratch);
}

/** Sleeps for `ns` nanoseconds unless a net handle becomes readable first; returns the ready set. */
export function sleep(ns: u64): u64 {
  return yieldUntil(solo5.clock_monotonic() + ns);
}

export function exit(status: i32): void {
  solo5.solo5_exit(status);
}

export function abort(): void {
  solo5.solo5_abort();
}

/** Target of `--use abort=`: prints AssemblyScript's abort message, then aborts through Solo5. */
export function abortHandler(message: string | null, fileName: string | null, line: u32, column: u32): void {
  write("abort: " + (message !== null ? message : "(no message)") + " at " +
    (fileName !== null ? fileName : "?") + ":" + line.toString() + ":" + column.toString() + "\n");
  solo5.solo5_abort();
}

/** A Solo5 block device (BLOCK_BASIC) declared in the manifest. */
export class BlockDevice {
  constructor(readonly handle: u64, readonly capacity: u64, readonly blockSize: u64) {}

  /** Acquires the device named `name`; null on error (the result code is in `lastResult`). */
  static acquire(name: string): BlockDevice | null {
    const cname = String.UTF8.encode(name, true);
    lastResult = solo5.block_acquire(changetype<usize>(cname), scratch, scratch + 8);
    if (lastResult != solo5.SOLO5_R_OK) return null;
    return new BlockDevice(load<u64>(scratch), load<u64>(scratch, 8), load<u64>(scratch, 16));
  }

  /** Reads buf.length bytes (a multiple of blockSize) at byte offset `offset`; returns a solo5 result code. */
  read(offset: u64, buf: Uint8Array): i32 {
    return solo5.block_read(this.handle, offset, buf.dataStart, <usize>buf.length);
  }

  write(offset: u64, buf: Uint8Array): i32 {
    return solo5.block_write(this.handle, offset, buf.dataStart, <usize>buf.length);
  }
}

/** A Solo5 network device (NET_BASIC): raw Ethernet frames. */
export class NetDevice {
  readonly mac: Uint8Array = new Uint8Array(6);
  mtu: u32 = 0;
  constructor(readonly handle: u64) {}

  static acquire(name: string): NetDevice | null {
    const cname = String.UTF8.encode(name, true);
    lastResult = solo5.net_acquire(changetype<usize>(cname), scratch, scratch + 8);
    if (lastResult != solo5.SOLO5_R_OK) return null;
    const dev = new NetDevice(load<u64>(scratch));
    for (let i = 0; i < 6; i++) dev.mac[i] = load<u8>(scratch + 8 + i);
    dev.mtu = load<u32>(scratch, 16);
    return dev;
  }

  /** Sends the first `len` bytes of frame; returns a solo5 result code. */
  write(frame: Uint8Array, len: i32): i32 {
    return solo5.net_write(this.handle, frame.dataStart, <usize>len);
  }

  /** Receives one frame into buf: its length, or -SOLO5_R_AGAIN / -SOLO5_R_EINVAL. */
  read(buf: Uint8Array): i32 {
    const r = solo5.net_read(this.handle, buf.dataStart, <usize>buf.length, scratch + 24);
    return r == solo5.SOLO5_R_OK ? <i32>load<u32>(scratch, 24) : -r;
  }

  /** True when this device's bit is set in a ready set returned by yieldUntil/sleep. */
  isReady(readySet: u64): bool {
    return ((readySet >> this.handle) & 1) != 0;
  }
}

/** Result code of the last acquire. */
export let lastResult: i32 = 0;

/** Formats a MAC address as aa:bb:cc:dd:ee:ff. */
export function macToString(mac: Uint8Array): string {
  let s = "";
  for (let i = 0; i < 6; i++) {
    const b = <u32>mac[i];
    if (i > 0) s += ":";
    s += (b < 16 ? "0" : "") + b.toString(16);
  }
  return s;
}
