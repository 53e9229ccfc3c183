/**
 * The platform's TCB level: the sixteen CPUSVN components (microcode and firmware patch levels) and the PCE's
 * SVN, which Intel's PCK certificate records and the verifier compares with TCB-info endorsements (Intel SGX
 * DCAP, "PCK Certificate and CRL Profile Specification", SGX extensions; "Intel Trust Services API", TCB info
 * v3). Also the platform's FMSPC (family-model-stepping-platform-custom SKU), PCE-ID and PPID. A platform's TCB is
 * part of its state: `STATE_DIR/sgx-tcb.json` ({"cpuSvn": "32 hex", "pceSvn": n}) when present (what a
 * microcode update or a downgrade would change), else emon's default level.
 */
import { fileErrorReason, readRegularFile } from '../../files.js';
import path from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { EmonError } from '../../errors.js';
import type { PlatformSecrets } from './platform.js';

export const TCB_FILE = 'sgx-tcb.json';
export const DEFAULT_CPUSVN = '0f0f0202ff8003000000000000000000';
export const DEFAULT_PCESVN = 13;
export const FMSPC = '00906ed50000';
export const PCE_ID = '0000';

export interface PlatformTcb {
  readonly cpuSvn: Uint8Array;
  readonly pceSvn: number;
  readonly fmspc: Uint8Array;
  readonly pceId: Uint8Array;
  /** Platform Provisioning ID: stable per platform, revealing nothing of its secrets. */
  readonly ppid: Uint8Array;
}

export function platformTcb(platform: PlatformSecrets): PlatformTcb {
  const file = path.join(platform.stateDir, TCB_FILE);
  let cpuSvnHex = DEFAULT_CPUSVN;
  let pceSvn = DEFAULT_PCESVN;
  let text: string | null = null;
  try {
    text = readRegularFile(file, 'utf8');
  } catch (e) {
    // No file: the default level. Anything else (a FIFO, a folder, no permission) is a broken state folder.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new EmonError('E_PLATFORM_STATE', `cannot read the platform TCB file ${file}: ${fileErrorReason(e)}`, {
        hint: 'make it a regular file holding {"cpuSvn": "<32 hex digits>", "pceSvn": <n>}, or remove it for the default TCB level',
      });
    }
  }
  if (text !== null) {
    try {
      const j = JSON.parse(text) as { cpuSvn?: unknown; pceSvn?: unknown };
      if (typeof j.cpuSvn !== 'string' || !/^[0-9a-fA-F]{32}$/.test(j.cpuSvn)) throw new Error('"cpuSvn" must be 32 hex digits');
      if (typeof j.pceSvn !== 'number' || !Number.isInteger(j.pceSvn) || j.pceSvn < 0 || j.pceSvn > 0xffff) throw new Error('"pceSvn" must be an integer 0..65535');
      cpuSvnHex = j.cpuSvn;
      pceSvn = j.pceSvn;
    } catch (e) {
      throw new EmonError('E_PLATFORM_STATE', `the platform TCB file ${file} is invalid: ${(e as Error).message}`, {
        hint: 'write {"cpuSvn": "<32 hex digits>", "pceSvn": <n>} or remove the file for the default TCB level',
      });
    }
  }
  const ppid = sha256(new Uint8Array([...new TextEncoder().encode('emon ppid v1'), ...sha256(platform.reportRoot)])).slice(0, 16);
  return { cpuSvn: Buffer.from(cpuSvnHex, 'hex'), pceSvn, fmspc: Buffer.from(FMSPC, 'hex'), pceId: Buffer.from(PCE_ID, 'hex'), ppid };
}
