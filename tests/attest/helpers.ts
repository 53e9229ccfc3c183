/**
 * Fixtures for the attestation tests: a fresh platform and manufacturer per test file (temporary folders), the
 * quote generator, and the attester enclave driven from the host, producing evidence bound to a nonce and a key.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadPlatform, type PlatformSecrets } from '../../runtime/hw/sgx/platform.js';
import { TCB_FILE } from '../../runtime/hw/sgx/tcb.js';
import { Manufacturer, type IssueOptions } from '../../runtime/attest/sgx/manufacturer.js';
import { QuoteGenerator } from '../../runtime/attest/sgx/quote-gen.js';
import { HostEnclave } from '../../runtime/attest/host-enclave.js';
import { buildDir } from '../../runtime/paths.js';

export const tmp = (p: string): string => mkdtempSync(path.join(tmpdir(), p));

export function platformWithTcb(cpuSvn?: string, pceSvn?: number): PlatformSecrets {
  const dir = tmp('emon-att-platform-');
  if (cpuSvn !== undefined) writeFileSync(path.join(dir, TCB_FILE), JSON.stringify({ cpuSvn, pceSvn }));
  return loadPlatform(dir);
}

export interface Evidence {
  readonly quote: Uint8Array;
  readonly nonce: Uint8Array;
  readonly pub: Uint8Array;
  readonly attester: HostEnclave;
}

export class SgxRig {
  readonly attester: HostEnclave;
  constructor(readonly platform: PlatformSecrets, readonly gen: QuoteGenerator, attesterFile = path.join(buildDir, 'enclaves', 'attester.wasm')) {
    this.attester = HostEnclave.load('attester', attesterFile, platform);
  }

  static async create(o: { manufacturer?: Manufacturer; platform?: PlatformSecrets; pck?: IssueOptions; attesterFile?: string } = {}): Promise<SgxRig> {
    const m = o.manufacturer ?? (await Manufacturer.open(tmp('emon-att-ca-')));
    const p = o.platform ?? platformWithTcb();
    return new SgxRig(p, QuoteGenerator.open(p, m, o.pck ? { pck: o.pck } : {}), o.attesterFile);
  }

  async evidence(nonce: Uint8Array = new Uint8Array(randomBytes(32))): Promise<Evidence> {
    const { rc, outs } = this.attester.call('att_evidence', [nonce, this.gen.targetInfo(), { out: 32 }, { out: 208 }]);
    if (rc !== 0) throw new Error(`att_evidence ${rc}`);
    return { quote: await this.gen.quote(outs[1]!), nonce, pub: outs[0]!, attester: this.attester };
  }
}

import { readFileSync } from 'node:fs';
import { signEnclave } from '../../runtime/enclave/signing.js';
import { generateSignerKey } from '../../runtime/hw/sgx/sigstruct.js';
import type { EnclaveConfig } from '../../runtime/hw/sgx/measurement.js';
import { DEFAULT_POLICY, type Endorsements, type Policy, type ReferenceValues } from '../../runtime/attest/policy.js';
import type { AppraisalContext } from '../../runtime/attest/engine.js';

/** The attester enclave re-signed with another config (debug, SVN) into a temporary file. */
export function attesterWith(config: Partial<EnclaveConfig>): string {
  const unsigned = new Uint8Array(readFileSync(path.join(buildDir, 'enclaves', 'attester.unsigned.wasm')));
  const edl = readFileSync(path.resolve(__dirname, '../../enclaves/attester/attester.edl'), 'utf8');
  const cfg: EnclaveConfig = { heapPages: 16, threads: 1, isvProdId: 7, isvSvn: 3, debug: false, ...config };
  const file = path.join(tmp('emon-att-enc-'), 'attester.wasm');
  writeFileSync(file, signEnclave(unsigned, 'attester.wasm', generateSignerKey().secretKey, cfg, edl).signed);
  return file;
}

export async function sgxContext(m: Manufacturer, o: { nonce?: Uint8Array; references?: ReferenceValues; policy?: Policy; collateral?: boolean; now?: Date } = {}): Promise<AppraisalContext> {
  const endorsements: Endorsements = {
    sgxRoots: [m.rootPem()],
    psaDevices: [],
    ...(o.collateral === false ? {} : { tcbInfo: await m.tcbInfo(), tcbChain: m.tcbIssuerChainPem() }),
  };
  return {
    endorsements,
    references: o.references ?? { sgx: [], psa: [] },
    policy: o.policy ?? DEFAULT_POLICY,
    ...(o.nonce ? { nonce: o.nonce } : {}),
    ...(o.now ? { now: o.now } : {}),
  };
}
