/**
 * DCAP collateral in Intel's formats (Intel, "Intel Trust Services API": TCB info v3, enclave identity v2): the
 * JSON the PCS serves (TCB info versions 2 and 3), whose ECDSA signature covers the raw text of the "tcbInfo" / "enclaveIdentity" member, and
 * the TCB-status rule of Intel's Quote Verification Library: the first TCB level (highest first) whose sixteen
 * components and PCESVN are all at or below the platform's gives the platform's status.
 */
import { refused } from '../reasons.js';

export interface TcbLevel {
  readonly components: readonly number[];
  readonly pceSvn: number;
  readonly status: string;
}

export interface TcbInfo {
  readonly raw: string;
  readonly signature: Uint8Array;
  readonly fmspc: string;
  readonly nextUpdate: Date;
  readonly levels: readonly TcbLevel[];
}

export interface QeIdentity {
  readonly raw: string;
  readonly signature: Uint8Array;
  readonly mrsigner: string;
  readonly isvProdId: number;
  readonly minIsvSvn: number;
  readonly nextUpdate: Date;
}

/** The raw text of the top-level member `name` (what Intel signs), found without re-serialising. */
function rawMember(text: string, name: string, what: string): string {
  const m = new RegExp(`^\\s*\\{\\s*"${name}"\\s*:\\s*`).exec(text);
  const sig = /,\s*"signature"\s*:\s*"([0-9a-fA-F]+)"\s*\}\s*$/.exec(text);
  if (!m || !sig) throw refused('E_ATTEST_COLLATERAL', `${what} is not Intel's {"${name}": {...}, "signature": "..."}`);
  return text.slice(m[0].length, sig.index);
}

const sigOf = (text: string): Uint8Array => Buffer.from(/"signature"\s*:\s*"([0-9a-fA-F]+)"\s*\}\s*$/.exec(text)![1]!, 'hex');

function date(v: unknown, what: string): Date {
  const d = typeof v === 'string' ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw refused('E_ATTEST_COLLATERAL', `${what} is not a date`);
  return d;
}

export function parseTcbInfo(text: string): TcbInfo {
  const raw = rawMember(text, 'tcbInfo', 'the TCB info');
  let j: { fmspc?: unknown; nextUpdate?: unknown; tcbLevels?: unknown };
  try {
    j = JSON.parse(raw) as typeof j;
  } catch (e) {
    throw refused('E_ATTEST_COLLATERAL', `the TCB info is not JSON: ${(e as Error).message}`);
  }
  if (typeof j.fmspc !== 'string' || !Array.isArray(j.tcbLevels)) throw refused('E_ATTEST_COLLATERAL', 'the TCB info lacks "fmspc" or "tcbLevels"');
  const levels = j.tcbLevels.map((l: unknown, i: number): TcbLevel => {
    const lv = l as { tcb?: { sgxtcbcomponents?: Array<{ svn?: unknown }>; pcesvn?: unknown } & Record<string, unknown>; tcbStatus?: unknown };
    // Version 3 lists the components; version 2 names them sgxtcbcomp01svn .. sgxtcbcomp16svn.
    const comps = lv.tcb?.sgxtcbcomponents ?? (lv.tcb && 'sgxtcbcomp01svn' in lv.tcb ? Array.from({ length: 16 }, (_, k) => ({ svn: lv.tcb![`sgxtcbcomp${String(k + 1).padStart(2, '0')}svn`] })) : undefined);
    if (!Array.isArray(comps) || comps.length !== 16 || comps.some((c) => typeof c?.svn !== 'number') || typeof lv.tcb?.pcesvn !== 'number' || typeof lv.tcbStatus !== 'string') {
      throw refused('E_ATTEST_COLLATERAL', `TCB level ${i} is malformed`);
    }
    return { components: comps.map((c) => c.svn as number), pceSvn: lv.tcb.pcesvn, status: lv.tcbStatus };
  });
  return { raw, signature: sigOf(text), fmspc: j.fmspc.toLowerCase(), nextUpdate: date(j.nextUpdate, 'the TCB info nextUpdate'), levels };
}

export function parseQeIdentity(text: string): QeIdentity {
  const raw = rawMember(text, 'enclaveIdentity', 'the QE identity');
  let j: { mrsigner?: unknown; isvprodid?: unknown; nextUpdate?: unknown; tcbLevels?: Array<{ tcb?: { isvsvn?: unknown }; tcbStatus?: unknown }> };
  try {
    j = JSON.parse(raw) as typeof j;
  } catch (e) {
    throw refused('E_ATTEST_COLLATERAL', `the QE identity is not JSON: ${(e as Error).message}`);
  }
  const up = (j.tcbLevels ?? []).filter((l) => l.tcbStatus === 'UpToDate' && typeof l.tcb?.isvsvn === 'number');
  if (typeof j.mrsigner !== 'string' || typeof j.isvprodid !== 'number' || up.length === 0) {
    throw refused('E_ATTEST_COLLATERAL', 'the QE identity lacks "mrsigner", "isvprodid" or an UpToDate TCB level');
  }
  return {
    raw,
    signature: sigOf(text),
    mrsigner: j.mrsigner.toLowerCase(),
    isvProdId: j.isvprodid,
    minIsvSvn: Math.min(...up.map((l) => l.tcb!.isvsvn as number)),
    nextUpdate: date(j.nextUpdate, 'the QE identity nextUpdate'),
  };
}

/** Intel QVL's rule; 'unknown' when no level applies. */
export function tcbStatusOf(info: TcbInfo, components: readonly number[], pceSvn: number): string {
  for (const l of info.levels) {
    if (l.components.every((c, i) => (components[i] ?? 0) >= c) && pceSvn >= l.pceSvn) return l.status;
  }
  return 'unknown';
}
