/** The extensions every guest worker loads (see ./extension.ts). */
import type { MonitorExtension } from './extension.js';

export const extensions: readonly MonitorExtension[] = [];
