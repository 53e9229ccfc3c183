/** The device modules every guest gets (the core iterates over this list and never names a device). */
import type { DeviceModule } from '../device.js';
import { blockDevice } from './block.js';
import { netDevice } from './net.js';

export const deviceModules: readonly DeviceModule[] = [blockDevice, netDevice];
