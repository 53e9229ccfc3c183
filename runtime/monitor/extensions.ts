/** The extensions every guest worker loads (see ./extension.ts). */
import type { MonitorExtension } from './extension.js';
import { enclaveExtension } from '../enclave/extension.js';
import { quoteExtension } from '../attest/quote-extension.js';
import { teecExtension } from '../enclave/teec.js';

export const extensions: readonly MonitorExtension[] = [enclaveExtension, quoteExtension, teecExtension];
