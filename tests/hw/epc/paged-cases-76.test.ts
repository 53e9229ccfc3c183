/** The gate, gate-edge, gate-property, edltypes and sealing suites with their enclaves paged through a 76-page EPC (./paged-cases.ts). */
import { pagedSuites } from './paged-cases.js';

await pagedSuites(76);
