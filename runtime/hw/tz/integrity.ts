/**
 * Runtime integrity monitoring of the normal world from the secure world (the TrustZone use case of Samsung
 * TIMA's periodic kernel measurement and of SPROBES, Ge et al., "SPROBES: Enforcing Kernel Code Integrity on the
 * TrustZone Architecture", MoST 2014): the integrity TA (enclaves/ta-integrity) hashes the guest's memory ranges
 * that must not change, at boot for the reference and then periodically and on demand, and the secure world
 * also compares the guest's function tables with the ones it booted with. A change is an alert, and the policy
 * decides: log it, stop the guest, or keep it for attestation (the TA's report command).
 *
 * What is measured is what can change in a Wasm guest: a compiled module's code is not in linear memory and
 * cannot be rewritten (Wasm keeps code and data apart), so the module is measured once, when it is loaded and
 * verified; what an attacker with the monitor's powers can alter afterwards is linear memory (read-only data
 * such as constant tables and strings) and the function tables that indirect calls go through.
 */
import { EmonError } from '../../errors.js';
import type { HwTraceEvent } from '../backend.js';
import { PARAM_MEMREF_INPUT, PARAM_VALUE_OUTPUT, paramTypes, resultName, TEE_ERROR_SECURITY, TEE_SUCCESS } from './gp.js';
import type { SecureWorld } from './secure-world.js';

export const INTEGRITY_TA = 'b5a1c0de-7e57-4d1a-9b1e-1d2e3f405060';
const CMD_SET_REFERENCE = 0x80000000;
const CMD_CHECK = 1;
/** Where the operation sits in the secure world's scratch (a range list follows at 128). */
const OP_AT = 64;

export type IntegrityPolicy = 'log' | 'stop' | 'attest';

export interface IntegrityConfig {
  /** [address, length] ranges of guest memory that must not change. */
  readonly ranges: ReadonlyArray<readonly [number, number]>;
  /** Also compare the guest's exported function tables with their state at boot. */
  readonly tables: boolean;
  readonly periodMs: number;
  readonly policy: IntegrityPolicy;
}

/** The manifest's `integrity` key: {"ranges": [[start, length], ...], "tables": true, "period_ms": 10, "policy": "log"}. */
export function parseIntegrity(raw: unknown, guest: string): IntegrityConfig | null {
  if (raw === undefined) return null;
  const bad = (why: string): never => {
    throw new EmonError('E_MANIFEST', `the solo5.manifest of guest ${guest} has a bad "integrity" entry: ${why}`, {
      hint: '{"integrity": {"ranges": [[START, LENGTH], ...], "tables": true, "period_ms": 10, "policy": "log" | "stop" | "attest"}}',
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
  if (ranges.length === 0 && tables === false) bad('nothing to watch: give "ranges" or "tables": true');
  return { ranges, tables: tables as boolean, periodMs: periodMs as number, policy: policy as IntegrityPolicy };
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
  ) {}

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
    const r = world.openSession(INTEGRITY_TA, 0, scratch, sdv, 0, true);
    if (r !== TEE_SUCCESS) throw new EmonError('E_INTEGRITY', `runtime integrity monitoring cannot start: the integrity TA answered ${resultName(r)}: ${world.lastError}`, { hint: 'run `npm run build` (it builds the integrity TA into build/ta)' });
    this.session = world.lastSession;
    const list = 128;
    this.config.ranges.forEach(([a, n], i) => {
      sdv.setUint32(list + 8 * i, a, true);
      sdv.setUint32(list + 8 * i + 4, n, true);
    });
    const op = this.op(paramTypes(PARAM_MEMREF_INPUT, PARAM_VALUE_OUTPUT), list, 8 * this.config.ranges.length);
    const s = world.invokeSystem(this.session, CMD_SET_REFERENCE, scratch, sdv, op);
    if (s !== TEE_SUCCESS) throw new EmonError('E_INTEGRITY', `runtime integrity monitoring cannot take its reference: ${resultName(s)} (a range lies outside the guest's memory?)`, { hint: 'fix "integrity"."ranges" in the manifest' });
    if (this.config.tables) {
      this.tableRef = Object.values(this.guestExports())
        .filter((v): v is WebAssembly.Table => v instanceof WebAssembly.Table)
        .map((table) => ({ table, entries: Array.from({ length: table.length }, (_, i) => table.get(i)) }));
    }
    this.next = performance.now() + this.config.periodMs;
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
