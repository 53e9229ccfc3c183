/**
 * EPC geometry and the `--epc=SIZE` option. SGX pages the EPC in 4 KiB pages (Intel SDM Vol. 3D §34.1); SGX1
 * parts reserve 128 MiB of PRM of which about 93.5 MiB is usable EPC, emon's default.
 */
import { EmonError } from '../../errors.js';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** A Wasm linear-memory page. */
export const WASM_PAGE = 65536;
export const DEFAULT_EPC_BYTES = 93.5 * 1024 * 1024;

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1 << 20, mb: 1 << 20, mib: 1 << 20, g: 1 << 30, gb: 1 << 30, gib: 1 << 30, p: PAGE_SIZE, pages: PAGE_SIZE };

/**
 * Parses an EPC size: bytes with an optional unit (`93.5M`, `512KiB`, `1G`) or a page count (`256p`, `64pages`).
 * Returns whole 4 KiB pages (rounded down); at least 4 pages, since one access may pin two pages while a
 * bulk copy pins two more.
 */
export function parseEpcSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new EmonError('E_EPC_SIZE', `bad EPC size "${text}"`, { hint: 'use bytes with a unit (e.g. --epc=93.5M, --epc=512K) or pages (--epc=256p)' });
  }
  const pages = Math.floor((Number(m[1]) * unit) / PAGE_SIZE);
  if (pages < 4 || pages > 1 << 24) {
    throw new EmonError('E_EPC_SIZE', `EPC size "${text}" is ${pages} pages; it must be between 4 pages (16 KiB) and 64 GiB`, {
      hint: 'give a size such as --epc=93.5M or --epc=256p',
    });
  }
  return pages;
}
