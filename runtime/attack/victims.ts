/**
 * The built-in victim enclaves (enclaves/victims, built to build/attack/victims.wasm): each has a known-secret
 * alphabet and three versions of the same function. A user's own module is described the same way on the
 * command line (--module, --entry, --alphabet).
 */
export type Variant = 'naive' | 'hardened' | 'detect';
export const variants: readonly Variant[] = ['naive', 'hardened', 'detect'];

export interface BuiltinVictim {
  readonly name: string;
  readonly summary: string;
  readonly alphabet: number;
  /** The finest unit its naive version's secret shows in: a page (data or code) or only a cache line. */
  readonly leaks: 'page' | 'line';
}

export const builtinVictims: readonly BuiltinVictim[] = [
  { name: 'lut', summary: 'lookup-table cipher: the key nibble picks one of 16 substitution-table pages', alphabet: 16, leaks: 'page' },
  { name: 'spell', summary: 'spell-check style lookup: each letter reads its own dictionary page (26)', alphabet: 26, leaks: 'page' },
  { name: 'sqmul', summary: 'square-and-multiply: an exponent bit decides a multiply on its own data page', alphabet: 2, leaks: 'page' },
  { name: 'ttable', summary: 'T-table style lookup: the key nibble picks one 64-byte line of a single page', alphabet: 16, leaks: 'line' },
  { name: 'branch', summary: 'square-and-multiply over one data page: the bit decides a call into another code page', alphabet: 2, leaks: 'page' },
];

/** The ECALL of a built-in victim's variant, and the one its attacker profiles. */
export function victimEntry(victim: string, variant: Variant): { entry: string; trainEntry: string } {
  return { entry: `${victim}_${variant}`, trainEntry: `${victim}_${variant === 'detect' ? 'naive' : variant}` };
}

/** The built-in victim TAs (enclaves/ta-victim, built into build/ta): TrustZone's normal world attacks them through
 *  the SMCs it issues and the cache it shares (ta-campaign.ts). Naive and hardened versions; no page channel. */
export const taVictims: readonly (BuiltinVictim & { readonly variants: readonly ('naive' | 'hardened')[] })[] = [
  { name: 'ta-ttable', summary: 'TrustZone TA, T-table style lookup: the key nibble picks one 64-byte line; one SMC per step', alphabet: 16, leaks: 'line', variants: ['naive', 'hardened'] },
];
