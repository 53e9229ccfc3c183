/**
 * The untrusted half of a middlebox enclave on a guest NIC's path (S-NFV, LightBox; enclaves/middlebox): the
 * monitor queues the NIC's frames in both directions, hands them to the enclave in batches (one ECALL per batch,
 * as LightBox and the SGX switchless designs amortise transitions) and forwards only the frames the enclave
 * passed. The rules and flow state never leave the enclave; the monitor sees a verdict per frame and reads
 * counters through the enclave's `read_counters` ECALL. If the enclave traps or is lost the middlebox fails
 * closed: every later frame is dropped and counted, none bypasses it.
 */
import { readRegularFile } from '../files.js';
import { SLOT } from '../enclave/abi.js';
import { loadEnclaveImage, openEnclave, type EnclaveImage, type OpenEnclave } from '../enclave/host.js';
import { EmonError } from '../errors.js';
import { emulateCost } from '../hw/cost/emulate.js';
import type { PlatformSecrets } from '../hw/sgx/platform.js';
import { ETHERNET_HEADER, NET_MTU } from './abi.js';

/** Direction of a frame, as the enclave's batch records carry it. */
export const FROM_GUEST = 1;
export const TO_GUEST = 2;

/** The enclave's counters, in read_counters order. */
export const COUNTER_NAMES = [
  'frames', 'batches', 'passed', 'droppedRule', 'droppedMalformed', 'droppedRate', 'droppedPattern', 'droppedUnloaded',
  'conntrackHits', 'conntrackNew', 'conntrackFull', 'conntrackLive',
] as const;
export type MiddleboxCounters = Record<(typeof COUNTER_NAMES)[number], number>;

export const MAX_BATCH = 64;
const MAX_RECORD = 4 + ((NET_MTU + ETHERNET_HEADER + 3) & ~3);
// The untrusted memory the monitor lends the enclave's gate, at fixed offsets: no allocation per batch.
const FRAME = 1024;
const SCRATCH = 8192;
const SCRATCH_LEN = 64 * 1024;
const BATCH = 0x20000;
const VERDICTS = BATCH + MAX_BATCH * MAX_RECORD;
const OUT = VERDICTS + 256;
const BLOB = OUT + 4096;
const BLOB_CAP = 64 * 1024;
const MEMORY_PAGES = Math.ceil((BLOB + BLOB_CAP) / 65536);

export interface MiddleboxOptions {
  /** Frames per ECALL; 1 is one ECALL per frame. Default 32. */
  readonly batch?: number;
  /** Spin the modeled ECALL cost at every transition (`--emulate-cost`). */
  readonly emulateCost?: boolean;
  /** What the middlebox serves, for messages: `guest/device`. */
  readonly where?: string;
}

/** Receives the frames the enclave passed. */
export type Forward = (frame: Uint8Array, dir: number) => void;

export class Middlebox {
  readonly memory = new WebAssembly.Memory({ initial: MEMORY_PAGES, maximum: MEMORY_PAGES });
  private readonly u8 = new Uint8Array(this.memory.buffer);
  private readonly dv = new DataView(this.memory.buffer);
  private readonly enc: OpenEnclave;
  private readonly ecall: { seal: number; load: number; filter: number; counters: number };
  readonly batchSize: number;
  private readonly spin: boolean;
  private readonly where: string;
  private queued: Uint8Array[] = [];
  private dirs = new Uint8Array(MAX_BATCH);
  private used = 0;
  private flushScheduled = false;
  private lostReason: string | null = null;
  /** Frames the monitor dropped because the enclave had failed (fail closed). */
  failClosedDrops = 0;
  /** Set once the enclave has trapped or been lost; from then on nothing passes. */
  failed: string | null = null;
  /** Receives the frames the enclave passed; set by whoever wires the middlebox in. */
  forward: Forward = () => {};

  constructor(readonly image: EnclaveImage, platform: PlatformSecrets, o: MiddleboxOptions = {}) {
    const batch = o.batch ?? 32;
    if (!Number.isInteger(batch) || batch < 1 || batch > MAX_BATCH) {
      throw new EmonError('E_MIDDLEBOX', `middlebox batch size ${batch} is not 1-${MAX_BATCH}`, { hint: `e.g. batch=32; batch=1 is one ECALL per frame` });
    }
    this.batchSize = batch;
    this.spin = o.emulateCost === true;
    this.where = o.where ?? 'host';
    const index = (name: string): number => {
      const i = image.iface.trusted.findIndex((f) => f.name === name);
      if (i < 0) {
        throw new EmonError('E_MIDDLEBOX', `${image.name} is not a middlebox enclave: it has no ECALL ${name}`, { hint: 'give the middlebox enclave, build/enclaves/middlebox.wasm' });
      }
      return i;
    };
    this.ecall = { seal: index('seal_rules'), load: index('load_rules'), filter: index('filter'), counters: index('read_counters') };
    this.enc = openEnclave(image, {
      guest: this.where,
      platform,
      guestMemory: () => this.memory,
      guestExports: () => ({}) as WebAssembly.Exports,
      scratch: { ptr: SCRATCH, len: SCRATCH_LEN },
      trace: null,
      spinEcall: this.spin ? () => emulateCost('sgx', 'ecall') : null,
      spinOcall: null,
      onLost: (r) => (this.lostReason = r),
    });
  }

  static load(file: string, platform: PlatformSecrets, o: MiddleboxOptions = {}): Middlebox {
    return new Middlebox(loadEnclaveImage('middlebox', file, null), platform, o);
  }

  /** One ECALL with the given frame slots; the int result, or null (and the middlebox failed) if it broke. */
  private call(index: number, slots: readonly (number | bigint)[]): number | null {
    if (this.failed !== null) return null;
    slots.forEach((v, i) => {
      if (typeof v === 'bigint') this.dv.setBigUint64(FRAME + SLOT * (i + 1), v, true);
      else this.dv.setUint32(FRAME + SLOT * (i + 1), v >>> 0, true);
    });
    let status: number;
    try {
      status = this.enc.ecalls[index]!(FRAME);
    } catch (e) {
      status = -1;
      this.lostReason ??= (e as Error).message;
    }
    if (status !== 0 || this.lostReason !== null) {
      this.failed = this.lostReason ?? `ECALL status ${status}`;
      return null;
    }
    return this.dv.getInt32(FRAME, true);
  }

  private putBlob(bytes: Uint8Array, what: string): void {
    if (bytes.length > BLOB_CAP) throw new EmonError('E_MIDDLEBOX_RULES', `${what} is ${bytes.length} bytes, more than a rule set can be (${BLOB_CAP})`);
    this.u8.set(bytes, BLOB);
  }

  /** Seals a compiled rule set (./middlebox-rules.ts) to this middlebox enclave on this platform. */
  sealRules(rules: Uint8Array, what: string): Uint8Array {
    this.putBlob(rules, what);
    const rc = this.call(this.ecall.seal, [BLOB, rules.length, BLOB + BLOB_CAP / 2, BLOB_CAP / 2]);
    if (rc === null || rc < 0) {
      throw new EmonError('E_MIDDLEBOX_RULES', `the middlebox enclave refused to seal ${what} (${rc === null ? this.failed : `code ${rc}`})`, {
        hint: 'compile the rules with `emon middlebox seal`; rule sets have at most 256 rules and 64 patterns',
      });
    }
    return this.u8.slice(BLOB + BLOB_CAP / 2, BLOB + BLOB_CAP / 2 + rc);
  }

  /** Installs a sealed rule set; the number of rules. */
  loadRules(blob: Uint8Array, what: string): number {
    this.putBlob(blob, what);
    const rc = this.call(this.ecall.load, [BLOB, blob.length]);
    if (rc === null || rc < 0) {
      throw new EmonError('E_MIDDLEBOX_RULES', `the middlebox enclave cannot unseal the rules ${what} (${rc === null ? this.failed : rc === -5 ? 'tampered, or sealed by another enclave or platform' : `code ${rc}`})`, {
        hint: 'seal the rules on this platform with `emon middlebox seal RULES.txt -o RULES.sealed` (same --state-dir)',
      });
    }
    return rc;
  }

  loadRulesFile(file: string): number {
    let blob: Uint8Array;
    try {
      blob = new Uint8Array(readRegularFile(file));
    } catch (e) {
      throw new EmonError('E_NO_FILE', `cannot read the sealed middlebox rules ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
        hint: 'seal a rule file with `emon middlebox seal RULES.txt -o RULES.sealed`',
      });
    }
    return this.loadRules(blob, file);
  }

  /** Queues one frame; the batch goes to the enclave when full, or at the end of this event-loop turn. */
  push(frame: Uint8Array, dir: number): void {
    if (this.failed !== null) {
      this.failClosedDrops++;
      return;
    }
    const n = this.queued.length;
    this.queued.push(frame);
    this.dirs[n] = dir;
    if (n + 1 >= this.batchSize) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  /** Filters the queued frames with one ECALL and forwards those that passed. */
  flush(): void {
    const frames = this.queued;
    const count = frames.length;
    if (count === 0) return;
    this.queued = [];
    const u8 = this.u8;
    const dv = this.dv;
    let at = BATCH;
    for (let i = 0; i < count; i++) {
      const f = frames[i]!;
      // An oversize frame goes in as an empty record, which the enclave counts as malformed and drops.
      const len = f.length > MAX_RECORD - 4 ? 0 : f.length;
      dv.setUint16(at, len, true);
      u8[at + 2] = this.dirs[i]!;
      u8[at + 3] = 0;
      if (len > 0) u8.set(f, at + 4);
      at += 4 + ((len + 3) & ~3);
    }
    const rc = this.call(this.ecall.filter, [BATCH, at - BATCH, count, process.hrtime.bigint(), VERDICTS]);
    if (rc === null) {
      this.failClosedDrops += count;
      return;
    }
    this.used++;
    for (let i = 0; i < count; i++) if (u8[VERDICTS + i] === 1) this.forward(frames[i]!, this.dirs[i]!);
  }

  /** The enclave's counters, read through its interface; null once the enclave has failed. */
  counters(): MiddleboxCounters | null {
    const n = this.call(this.ecall.counters, [OUT, COUNTER_NAMES.length * 8]);
    if (n === null) return null;
    const out = {} as MiddleboxCounters;
    COUNTER_NAMES.forEach((name, i) => (out[name] = i < n ? Number(this.dv.getBigUint64(OUT + i * 8, true)) : 0));
    return out;
  }

  /** One line for the run's report. */
  describe(): string {
    const c = this.counters();
    if (c === null) return `middlebox FAILED (${this.failed}); failed closed: ${this.failClosedDrops} frames dropped unseen`;
    return `middlebox: ${c.passed} of ${c.frames} frames passed in ${c.batches} batches; dropped ${c.droppedRule} by rule, ${c.droppedPattern} by pattern, ${c.droppedRate} by rate, ${c.droppedMalformed} malformed; ${c.conntrackLive} flows tracked`;
  }
}
