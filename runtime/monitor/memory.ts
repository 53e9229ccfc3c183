/**
 * The monitor's window on one guest's linear memory (DESIGN.md §3: pointers are i32 offsets into the guest's
 * exported memory). Views are created once and refreshed only when the memory has grown: growing a
 * non-shared WebAssembly.Memory detaches the old ArrayBuffer, so stale views read as length 0, fail the bounds
 * check, and the check itself refreshes them. The common path is one comparison and no allocation.
 */
export class GuestMemory {
  u8: Uint8Array = new Uint8Array(0);
  dv: DataView = new DataView(new ArrayBuffer(0));
  private memory: WebAssembly.Memory | null = null;
  /** Called when a bounds check finds no memory attached (a hypercall from the module's start function). */
  onUnattached: (() => void) | null = null;

  attach(memory: WebAssembly.Memory): void {
    this.memory = memory;
    this.refresh();
  }

  detach(): void {
    this.memory = null;
    this.u8 = new Uint8Array(0);
    this.dv = new DataView(new ArrayBuffer(0));
  }

  refresh(): void {
    if (this.memory === null) return;
    const buffer = this.memory.buffer;
    if (buffer !== this.u8.buffer) {
      this.u8 = new Uint8Array(buffer);
      this.dv = new DataView(buffer);
    }
  }

  /**
   * True when [ptr, ptr + len) lies inside memory. ptr and len must already be unsigned (`>>> 0`), so the sum
   * is exact in a double and a wrapped C pointer cannot pass.
   */
  inBounds(ptr: number, len: number): boolean {
    const end = ptr + len;
    if (end <= this.u8.length) return true;
    if (this.memory === null) this.onUnattached?.();
    this.refresh();
    return end <= this.u8.length;
  }

  /**
   * Reads a NUL-terminated UTF-8 string of at most maxBytes bytes (not counting the NUL), or null when it runs
   * out of memory or is too long. Only used on cold paths (device acquisition).
   */
  cString(ptr: number, maxBytes: number): string | null {
    this.refresh();
    const u8 = this.u8;
    const limit = Math.min(u8.length, ptr + maxBytes + 1);
    for (let i = ptr; i < limit; i++) {
      if (u8[i] === 0) return Buffer.from(u8.buffer, u8.byteOffset + ptr, i - ptr).toString('utf8');
    }
    return null;
  }
}
