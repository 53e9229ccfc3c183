/**
 * The accessed/dirty-bit attack (Van Bulck, Weichbrodt, Kapitza, Piessens, Strackx, "Telling Your Secrets
 * without Page Faults: Stealthy Page Table-Based Attacks on Enclaved Execution", USENIX Security 2017): at each
 * transition the OS reads and clears the page-table A/D bits of every enclave page; no page is evicted, so the
 * enclave takes no fault at all. The pages accessed between two transitions are the segment's signal.
 */
import type { AttackModule } from './module.js';

export const attack: AttackModule = {
  name: 'accessed-bits',
  summary: 'read and clear page-table A/D bits at each transition, evicting nothing: no faults at all',
  source: 'Van Bulck et al.: Telling Your Secrets without Page Faults, USENIX Security 2017',
  recordsFaults: true,
  monitor(view, obs) {
    return {
      enter: () => void view.scan(true),
      ocall: () => {
        const { accessed, dirty } = view.scan(true);
        obs.push({ t: obs.now(), kind: 'ad', accessed, dirty });
      },
      exit: () => {
        const { accessed, dirty } = view.scan(true);
        obs.push({ t: obs.now(), kind: 'ad', accessed, dirty });
      },
    };
  },
  feature: (s) => ({ kind: 'pages', pages: [...new Set([...s.accessed, ...s.dirty.map((p) => -1 - p)])].sort((a, b) => a - b) }),
};
