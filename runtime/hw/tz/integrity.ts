/**
 * Runtime integrity monitoring of the normal world from the secure world (the TrustZone use case of Samsung
 * TIMA's periodic kernel measurement and of SPROBES, Ge et al., "SPROBES: Enforcing Kernel Code Integrity on the
 * TrustZone Architecture", MoST 2014): the integrity TA (enclaves/ta-integrity) hashes the guest's memory ranges
 * that must not change, at boot for the reference and then periodically and on demand, and the secure world
 * also compares the guest's function tables with the ones it booted with. A change is an alert, and the policy
 * decides: log it, stop the guest, or keep it for attestation (the TA's report command).
 *
 * What is measured is what can change in a Wasm guest: a compiled module's code is not in linear memory and
 * cannot be rewritten (Wasm keeps code and data apart), so the module is measured once, when it is loaded (the
 * SHA-256 of its bytes, runtime/monitor/loader.ts measureGuest), and that measurement is part of the reference;
 * what an attacker with the monitor's powers can alter afterwards is linear memory and the function tables that
 * indirect calls go through. The ranges that must not change come from the module, not from live memory: its
 * data segments that hold read-only data (by wasm-ld's names, `.rodata` and `.rodata.*`, or every segment with
 * "segments": "all") and land at a known address by instantiation (active at a constant offset, or passive and
 * copied by the start function), plus ranges the manifest adds. A segment's reference is the SHA-256 of its
 * bytes in the module file (so a guest patched before its first instruction ran fails the first check); a range
 * the manifest adds is hashed from live memory at instantiation. The TA's report feeds attestation: the guest's
 * PSA software components (integrityComponents), in a token the board signs (the TA's command 3).
 */
import { createHash } from 'node:crypto';
import { EmonError } from '../../errors.js';
import type { GuestMeasurement, MeasuredSegment } from '../measurement.js';
import type { HwTraceEvent } from '../backend.js';
import { LIFECYCLE, type PsaClaimsIn, type SoftwareComponent } from '../psa/claims.js';
import { PARAM_MEMREF_INPUT, PARAM_MEMREF_OUTPUT, PARAM_VALUE_OUTPUT, paramTypes, resultName, TEE_ERROR_SECURITY, TEE_SUCCESS } from './gp.js';
import type { SecureWorld } from './secure-world.js';

export const INTEGRITY_TA = 'b5a1c0de-7e57-4d1a-9b1e-1d2e3f405060';
const CMD_SET_REFERENCE = 0x80000000;
const CMD_CHECK = 1;
const CMD_REPORT = 2;
/** The most ranges the TA keeps (enclaves/ta-integrity MAX_RANGES), and the bytes of one in the reference list. */
const MAX_RANGES = 64;
const RANGE_ENTRY = 40;
/** Where the operation sits in the secure world's scratch (a range list follows at 128). */
const OP_AT = 64;

export type IntegrityPolicy = 'log' | 'stop' | 'attest';
/** Which of the module's data segments must not change. */
export type SegmentChoice = 'readonly' | 'all' | 'none';

export interface IntegrityConfig {
  /** [address, length] ranges of guest memory that must not change, beyond the module's segments. */
  readonly ranges: ReadonlyArray<readonly [number, number]>;
  /** The module's data segments to protect: read-only ones (default), every active one, or none. */
  readonly segments: SegmentChoice;
  /** Also compare the guest's exported function tables with their state at boot. */
  readonly tables: boolean;
  readonly periodMs: number;
  readonly policy: IntegrityPolicy;
}

/** The manifest's `integrity` key: {"segments": "readonly", "ranges": [[start, length], ...], "tables": true, "period_ms": 10, "policy": "log"}. */
export function parseIntegrity(raw: unknown, guest: string): IntegrityConfig | null {
  if (raw === undefined) return null;
  const bad = (why: string): never => {
    throw new EmonError('E_MANIFEST', `the solo5.manifest of guest ${guest} has a bad "integrity" entry: ${why}`, {
      hint: '{"integrity": {"segments": "readonly" | "all" | "none", "ranges": [[START, LENGTH], ...], "tables": true, "period_ms": 10, "policy": "log" | "stop" | "attest"}}',
    });
  };
  if (typeof raw !== 'object' || raw === null) bad('not an object');
  const o = raw as Record<string, unknown>;
  const rangesRaw = o['ranges'] ?? [];
  if (!Array.isArray(rangesRaw) || rangesRaw.length > 64) bad('"ranges" must be a list of at most 64 [start, length] pairs');
  const ranges = (rangesRaw as unknown[]).map((r, i) => {
    if (!Array.isArray(r) || r.length !== 2 || !(r as unknown[]).every((x) => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 0xffffffff) || ((r as number[])[1] as number) === 0) {
      bad(`range #${i} must be [start, length] with whole numbers and a length above 0`);
    }
    return [(r as number[])[0]!, (r as number[])[1]!] as const;
  });
  const periodMs = o['period_ms'] ?? 10;
  if (typeof periodMs !== 'number' || !(periodMs >= 0.1) || periodMs > 3_600_000) bad('"period_ms" must be a number of milliseconds from 0.1 to 3600000');
  const policy = o['policy'] ?? 'log';
  if (policy !== 'log' && policy !== 'stop' && policy !== 'attest') bad('"policy" must be "log", "stop" or "attest"');
  const tables = o['tables'] ?? true;
  if (typeof tables !== 'boolean') bad('"tables" must be true or false');
  const segments = o['segments'] ?? 'readonly';
  if (segments !== 'readonly' && segments !== 'all' && segments !== 'none') bad('"segments" must be "readonly", "all" or "none"');
  if (ranges.length === 0 && tables === false && segments === 'none') bad('nothing to watch: give "segments", "ranges" or "tables": true');
  return { ranges, segments: segments as SegmentChoice, tables: tables as boolean, periodMs: periodMs as number, policy: policy as IntegrityPolicy };
}

/** wasm-ld names the read-only data output section `.rodata` (and `.rodata.*` with --no-merge-data-segments). */
export const isReadOnlySegment = (s: { readonly name?: string }): boolean => s.name === '.rodata' || (s.name?.startsWith('.rodata.') ?? false);

/** A range the reference covers; `sha256` (hex) when its reference is the module's bytes, else live memory at boot. */
export interface WatchedRange {
  readonly at: number;
  readonly length: number;
  readonly sha256?: string;
}

/**
 * The module's chosen segments (placed at a known address by instantiation: active at a constant offset, or
 * passive and copied there by the start function; not empty), with their bytes' hashes from the module.
 */
export function segmentRanges(segments: readonly MeasuredSegment[], choice: SegmentChoice): WatchedRange[] {
  if (choice === 'none') return [];
  return segments
    .filter((s) => s.offset !== null && s.length > 0 && (choice === 'all' || isReadOnlySegment(s)))
    .map((s) => ({ at: s.offset!, length: s.length, sha256: s.sha256 }));
}

/** The state of the integrity TA, read by its report command (what attestation carries). */
export interface IntegrityReport {
  /** SHA-256 of the guest module's bytes, as the reference holds it. */
  readonly module: Uint8Array;
  readonly checks: number;
  /** Changed ranges found over all checks. */
  readonly alerts: number;
  /** Ranges found changed by the last check (0: the guest was intact then). */
  readonly lastChanged: number;
  readonly ranges: number;
}

/** The TA's 48-byte report record (module SHA-256, then checks, alerts, last changed, ranges; u32 LE). */
export function decodeReport(b: Uint8Array): IntegrityReport {
  if (b.length !== 48) throw new EmonError('E_INTEGRITY', `an integrity report is 48 bytes, not ${b.length}`);
  const dv = new DataView(b.buffer, b.byteOffset, 48);
  return { module: b.slice(0, 32), checks: dv.getUint32(32, true), alerts: dv.getUint32(36, true), lastChanged: dv.getUint32(40, true), ranges: dv.getUint32(44, true) };
}

/**
 * The claims of the board's PSA token for a guest's integrity (what the secure world's attestation service
 * signs, as `emon attest --type psa` does for files): the nonce, the simulated board's implementation ID and boot
 * seed, and the guest's components from the integrity TA's report.
 */
export function integrityClaims(nonce: Uint8Array, report: IntegrityReport, reportRoot: Uint8Array): PsaClaimsIn {
  const sha = (...parts: Uint8Array[]): Uint8Array => {
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return new Uint8Array(h.digest());
  };
  return {
    nonce,
    implementationId: sha(new TextEncoder().encode('emon simulated TrustZone board v1')),
    bootSeed: sha(reportRoot, new TextEncoder().encode('boot seed')),
    lifecycle: LIFECYCLE.secured,
    clientId: 1,
    swComponents: integrityComponents(report),
  };
}

/** The domain separator of the integrity status's measurement value. */
const STATUS_LABEL = new TextEncoder().encode('emon guest integrity v1');

/**
 * The guest's software components for a PSA attestation token (RFC 9783 §4.4.1), from the integrity TA's
 * report: the guest module with its measurement (SHA-256 of its bytes), and the integrity status, whose
 * measurement type says "guest-integrity:intact" or "guest-integrity:violated" (any changed range so far), whose
 * version gives the counts, and whose measurement value is SHA-256 over the label, the module measurement and
 * the counts (checks, alerts, ranges changed at the last check, ranges watched; u32 little-endian each), so the
 * status cannot be moved onto another module's token.
 */
export function integrityComponents(r: IntegrityReport): SoftwareComponent[] {
  const counts = new Uint8Array(16);
  const dv = new DataView(counts.buffer);
  [r.checks, r.alerts, r.lastChanged, r.ranges].forEach((v, i) => dv.setUint32(4 * i, v >>> 0, true));
  const status = createHash('sha256').update(STATUS_LABEL).update(r.module).update(counts).digest();
  return [
    { measurementType: 'guest', measurementValue: new Uint8Array(r.module), signerId: new Uint8Array(32), measurementDesc: 'sha-256' },
    {
      measurementType: r.alerts === 0 ? 'guest-integrity:intact' : 'guest-integrity:violated',
      measurementValue: new Uint8Array(status),
      signerId: new Uint8Array(32),
      version: `checks=${r.checks} alerts=${r.alerts} last=${r.lastChanged} ranges=${r.ranges}`,
      measurementDesc: 'sha-256',
    },
  ];
}

export interface IntegrityAlert {
  readonly check: number;
  readonly detail: string;
}

/**
 * Drives the integrity TA for one guest: `arm` when the guest's memory exists (the reference), `tick` from the
 * monitor's exits (a check when a period has passed: the secure timer's interrupt is taken at the next world
 * exit), `check` on demand. Alerts are gathered while the TA runs and handed to `onAlerts` after it returned,
 * so a policy that stops the guest never unwinds through the TA.
 */
export class IntegrityMonitor {
  /** Periodic and on-demand checks done. */
  checks = 0;
  readonly alerts: IntegrityAlert[] = [];
  private session = 0;
  private next = 0;
  private tableRef: Array<{ table: WebAssembly.Table; entries: unknown[] }> = [];
  private pending: string[] = [];
  /** The secure world's own memory for the operations it sends its session (never the guest's). */
  private readonly scratch = new Uint8Array(4096);
  private readonly sdv = new DataView(this.scratch.buffer);

  constructor(
    private readonly world: SecureWorld,
    readonly config: IntegrityConfig,
    private readonly guestExports: () => WebAssembly.Exports,
    private readonly onAlerts: (alerts: readonly IntegrityAlert[]) => void,
    private readonly trace: { record(e: HwTraceEvent): void } | null,
    private readonly track: string,
    /** The loader's measurement of the module; null: no module to take segments from (ranges only, hash zero). */
    private readonly measurement: GuestMeasurement | null = null,
  ) {}

  /** The ranges the reference covers: the module's chosen segments, then the manifest's. */
  ranges(): WatchedRange[] {
    return [...segmentRanges(this.measurement?.dataSegments ?? [], this.config.segments), ...this.config.ranges.map(([at, length]) => ({ at, length }))];
  }

  get armed(): boolean {
    return this.session !== 0;
  }

  /** Called by the TA's TEE_IntegrityAlert (through the board). */
  alert(_code: number, detail: string): void {
    this.pending.push(detail);
  }

  /** Open the secure world's session on the integrity TA and take the reference. */
  arm(): void {
    const { world, scratch, sdv } = this;
    const ranges = this.ranges();
    if (ranges.length > MAX_RANGES) {
      throw new EmonError('E_INTEGRITY', `runtime integrity monitoring can watch ${MAX_RANGES} ranges; the module's segments and the manifest give ${ranges.length}`, { hint: 'link the read-only data into one .rodata segment, or list fewer "ranges"' });
    }
    const r = world.openSession(INTEGRITY_TA, 0, scratch, sdv, 0, true);
    if (r !== TEE_SUCCESS) throw new EmonError('E_INTEGRITY', `runtime integrity monitoring cannot start: the integrity TA answered ${resultName(r)}: ${world.lastError}`, { hint: 'run `npm run build` (it builds the integrity TA into build/ta)' });
    this.session = world.lastSession;
    // The range list: per range address u32, length u32 and the reference SHA-256 (zero: hash live memory now).
    const list = 128;
    const digest = list + RANGE_ENTRY * MAX_RANGES;
    scratch.fill(0, list, digest + 32);
    ranges.forEach(({ at, length, sha256 }, i) => {
      sdv.setUint32(list + RANGE_ENTRY * i, at, true);
      sdv.setUint32(list + RANGE_ENTRY * i + 4, length, true);
      if (sha256 !== undefined) scratch.set(Buffer.from(sha256, 'hex'), list + RANGE_ENTRY * i + 8);
    });
    if (this.measurement !== null) scratch.set(Buffer.from(this.measurement.sha256, 'hex'), digest);
    const op = this.op(paramTypes(PARAM_MEMREF_INPUT, PARAM_VALUE_OUTPUT, PARAM_MEMREF_INPUT), list, RANGE_ENTRY * ranges.length);
    sdv.setUint32(OP_AT + 8 + 24, digest, true);
    sdv.setUint32(OP_AT + 8 + 24 + 4, 32, true);
    const s = world.invokeSystem(this.session, CMD_SET_REFERENCE, scratch, sdv, op);
    if (s !== TEE_SUCCESS) throw new EmonError('E_INTEGRITY', `runtime integrity monitoring cannot take its reference: ${resultName(s)} (a range lies outside the guest's memory?)`, { hint: 'fix "integrity"."ranges" in the manifest' });
    if (this.config.tables) {
      this.tableRef = Object.values(this.guestExports())
        .filter((v): v is WebAssembly.Table => v instanceof WebAssembly.Table)
        .map((table) => ({ table, entries: Array.from({ length: table.length }, (_, i) => table.get(i)) }));
    }
    this.next = performance.now() + this.config.periodMs;
  }

  /** The integrity TA's state (its report command): what attestation carries (integrityComponents). */
  report(): IntegrityReport {
    const { scratch, sdv } = this;
    if (this.session === 0) throw new EmonError('E_INTEGRITY', 'runtime integrity monitoring has no reference yet (the guest has not started)');
    const out = 2048 + 1024;
    const op = this.op(paramTypes(PARAM_VALUE_OUTPUT, PARAM_VALUE_OUTPUT, PARAM_MEMREF_OUTPUT));
    sdv.setUint32(OP_AT + 8 + 24, out, true);
    sdv.setUint32(OP_AT + 8 + 24 + 4, 32, true);
    const r = this.world.invokeSystem(this.session, CMD_REPORT, scratch, sdv, op);
    if (r !== TEE_SUCCESS) throw new EmonError('E_INTEGRITY', `the integrity TA's report failed: ${resultName(r)}`);
    const v = (i: number, b: number): number => sdv.getUint32(OP_AT + 8 + 12 * i + 4 * b, true);
    return { alerts: v(0, 0), checks: v(0, 1), lastChanged: v(1, 0), ranges: v(1, 1), module: scratch.slice(out, out + 32) };
  }

  /** Lays out the TEEC_Operation at OP_AT in the scratch; returns its address. */
  private op(types: number, buf = 0, size = 0): number {
    this.scratch.fill(0, OP_AT, OP_AT + 60);
    this.sdv.setUint32(OP_AT + 4, types, true);
    this.sdv.setUint32(OP_AT + 8, buf, true);
    this.sdv.setUint32(OP_AT + 12, size, true);
    return OP_AT;
  }

  /** A periodic check when one is due; `now` is performance.now(). */
  tick(now: number): void {
    if (now < this.next || this.session === 0) return;
    this.next = now + this.config.periodMs;
    this.check();
  }

  /** One check now; returns the alerts it raised. */
  check(): readonly IntegrityAlert[] {
    const t0 = performance.now();
    this.checks++;
    this.pending = [];
    const r = this.world.invokeSystem(this.session, CMD_CHECK, this.scratch, this.sdv, this.op(paramTypes(PARAM_VALUE_OUTPUT)));
    if (r !== TEE_SUCCESS && r !== TEE_ERROR_SECURITY) this.pending.push(`the integrity TA failed: ${resultName(r)}`);
    for (const { table, entries } of this.tableRef) {
      if (table.length !== entries.length) this.pending.push(`a function table changed size: ${entries.length} -> ${table.length} entries`);
      else for (let i = 0; i < entries.length; i++) if (table.get(i) !== entries[i]) {
        this.pending.push(`function table entry ${i} changed since boot`);
        break;
      }
    }
    const raised = this.pending.map((detail) => ({ check: this.checks, detail }));
    this.pending = [];
    this.trace?.record({ kind: 'ta_invoke', name: 'integrity check', track: this.track, start: t0, dur: performance.now() - t0, args: { alerts: raised.length } });
    if (raised.length > 0) {
      this.alerts.push(...raised);
      for (const a of raised) this.trace?.record({ kind: 'enclave', name: 'integrity alert', track: this.track, start: performance.now(), dur: 0, args: { check: a.check, detail: a.detail } });
      this.onAlerts(raised);
    }
    return raised;
  }
}
