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
