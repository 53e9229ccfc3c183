/**
 * The `enclaves` key of a guest's solo5.manifest: which enclaves the unikernel needs, each optionally pinned to
 * the MRSIGNER it trusts — the role an SGX application's hard-coded enclave path plus its signer check play.
 *   { "enclaves": [ { "name": "sealer", "mrsigner": "<64 hex digits>" } ] }
 * (Build-only keys such as "edl" are ignored here.) The same name is used with `--enclave:NAME=PATH`.
 */
import { EmonError } from '../errors.js';

export interface EnclaveDecl {
  readonly name: string;
  readonly mrsigner: Uint8Array | null;
}

export const MAX_ENCLAVES = 16;

export function enclaveDecls(manifest: Readonly<Record<string, unknown>>, guest: string): EnclaveDecl[] {
  const bad = (why: string): never => {
    throw new EmonError('E_MANIFEST', `the solo5.manifest of guest ${guest} has a bad "enclaves" list: ${why}`, {
      hint: 'each entry is {"name": "...", "mrsigner": "<64 hex digits>"?}',
    });
  };
  const list = manifest['enclaves'];
  if (list === undefined) return [];
  if (!Array.isArray(list)) bad('not an array');
  const arr = list as unknown[];
  if (arr.length > MAX_ENCLAVES) bad(`${arr.length} entries, at most ${MAX_ENCLAVES}`);
  const seen = new Set<string>();
  return arr.map((e, i) => {
    if (typeof e !== 'object' || e === null) bad(`entry #${i} is not an object`);
    const { name, mrsigner } = e as Record<string, unknown>;
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) bad(`entry #${i} needs a "name" of 1-64 letters, digits, '_', '.', '-'`);
    if (seen.has(name as string)) bad(`"${name}" is declared twice`);
    seen.add(name as string);
    if (mrsigner !== undefined && (typeof mrsigner !== 'string' || !/^[0-9a-fA-F]{64}$/.test(mrsigner))) bad(`"${name}": mrsigner must be 64 hex digits`);
    return { name: name as string, mrsigner: typeof mrsigner === 'string' ? new Uint8Array(Buffer.from(mrsigner, 'hex')) : null };
  });
}
