/**
 * A set-associative cache shared by an enclave and the software around it, a model (issue 18): the L1 data cache
 * of one core, 64 sets x 8 ways x 64-byte lines (32 KiB, as Intel's Skylake L1D; Intel Optimization Reference
 * Manual §2.2), LRU within each set, physically indexed by the line address. What it models is the channel
 * prime+probe reads (Osvik, Shamir, Tromer, CT-RSA 2006; against SGX, CacheZoom, Moghimi et al., CHES 2017;
 * against TrustZone, TruSpy, Zhang et al., 2016, and ARMageddon, Lipp et al., USENIX Security 2016): the attacker
 * fills every set with its own lines, the victim runs, and every attacker line that is gone marks a set the
 * victim used. It is not a timing model: no latencies, no prefetchers, no replacement quirks, no other levels.
 */
export interface CacheGeometry {
  readonly sets: number;
  readonly ways: number;
  readonly lineBytes: number;
}

export const L1D: CacheGeometry = { sets: 64, ways: 8, lineBytes: 64 };

/** Owner of a line: the enclave (its linear addresses) or the attacker (its own buffer). */
export const ENCLAVE = 0;
export const ATTACKER = 1;

export class SetAssocCache {
  readonly geometry: CacheGeometry;
  /** Per set, `ways` tags, most recently used first; -1 = invalid. Tag = line number * 2 + owner. */
  private readonly tags: Float64Array;
  private readonly lineShift: number;
  accesses = 0;
  misses = 0;

  constructor(geometry: CacheGeometry = L1D) {
    if (!Number.isInteger(Math.log2(geometry.lineBytes)) || geometry.sets < 1 || geometry.ways < 1) throw new RangeError('cache geometry: line size must be a power of two, sets and ways at least 1');
    this.geometry = geometry;
    this.tags = new Float64Array(geometry.sets * geometry.ways).fill(-1);
    this.lineShift = Math.log2(geometry.lineBytes);
  }

  setOf(addr: number): number {
    return Math.floor(addr / this.geometry.lineBytes) % this.geometry.sets;
  }

  /** One access by `owner` to `addr`: a hit moves the line to the front of its set, a miss evicts the LRU line. */
  access(owner: number, addr: number): boolean {
    const line = Math.floor(addr / 2 ** this.lineShift);
    const set = line % this.geometry.sets;
    const tag = line * 2 + owner;
    const ways = this.geometry.ways;
    const base = set * ways;
    const t = this.tags;
    this.accesses++;
    let i = 0;
    while (i < ways && t[base + i] !== tag) i++;
    const hit = i < ways;
    if (!hit) {
      this.misses++;
      i = ways - 1;
    }
    for (let j = i; j > 0; j--) t[base + j] = t[base + j - 1]!;
    t[base] = tag;
    return hit;
  }

  /** Prime: the attacker fills every set with `ways` lines of its own buffer (which starts at address 0). */
  prime(): void {
    const { sets, ways, lineBytes } = this.geometry;
    for (let w = 0; w < ways; w++) for (let s = 0; s < sets; s++) this.access(ATTACKER, (w * sets + s) * lineBytes);
  }

  /** Probe: the sets where some primed attacker line is gone (the victim used them), then prime again. */
  probe(): number[] {
    const { sets, ways } = this.geometry;
    const out: number[] = [];
    for (let s = 0; s < sets; s++) {
      let mine = 0;
      for (let w = 0; w < ways; w++) {
        const tag = this.tags[s * ways + w]!;
        if (tag >= 0 && tag % 2 === ATTACKER) mine++;
      }
      if (mine < ways) out.push(s);
    }
    this.prime();
    return out;
  }
}
