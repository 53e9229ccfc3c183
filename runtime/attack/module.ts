/**
 * The contract of an adversarial monitor module (issue 18; DESIGN.md §1 rule 4: the monitor can be swapped for
 * an adversarial one). An attack acts only through what an untrusted OS has (`OsPageView`: evict pages, read
 * and clear A/D bits) and what it serves (the enclave's transitions); it records into an Observation and says
 * which part of each segment carries its signal, so that one recovery (recover.ts) turns any of them back
 * into the secret. One file per attack in this folder, listed in registry.ts.
 */
import type { SetAssocCache } from '../hw/cache/model.js';
import type { OsPageView } from '../hw/epc/index.js';
import type { Observation, Segment } from './observation.js';

/** What the monitor does at the enclave's transitions (it serves them, so it runs at each one). */
export interface TransitionHooks {
  /** Just before the ECALL enters the enclave. */
  enter?(): void;
  /** At an OCALL, while the enclave is out. */
  ocall?(id: number, size: number): void;
  /** Just after the ECALL returned. */
  exit?(): void;
}

export interface AttackModule {
  readonly name: string;
  /** One line for `emon attack --list`. */
  readonly summary: string;
  /** The paper it reproduces. */
  readonly source: string;
  /** The adversarial monitor for one enclave: its actions at transitions, recording into `obs`. `cache` is the
   *  core's cache model shared with the enclave, given when the module says `usesCache`. */
  monitor(view: OsPageView, obs: Observation, cache?: SetAssocCache): TransitionHooks;
  /** Needs the enclave's loads and stores routed through a cache model (hw/cache). */
  readonly usesCache?: boolean;
  /** Works against a TrustZone TA: needs no page view (the normal world has none of secure memory), only the
   *  transitions it serves and, with `usesCache`, the shared cache (ta-campaign.ts). */
  readonly onTa?: boolean;
  /** Records faults too (subscribes to the EPC fault channel). */
  readonly recordsFaults: boolean;
  /** The signal of one segment: a set of page numbers (`pages`) or a duration (`timing`). */
  feature(s: Segment):
    | { readonly kind: 'pages'; readonly pages: readonly number[] }
    | { readonly kind: 'sets'; readonly sets: readonly number[] }
    | { readonly kind: 'timing'; readonly ms: number };
}
