/** The gate, gate-edge, gate-property, edltypes and sealing suites with their enclaves paged through a 120-page EPC (./paged-cases.ts). */
import { pagedSuites } from './paged-cases.js';

await pagedSuites(120);
