/** The adversarial monitor modules `emon attack` knows, by name (one file each in this folder). */
import { attack as accessedBits } from './accessed-bits.js';
import { attack as cachePrimeProbe } from './cache-prime-probe.js';
import { attack as controlledChannel } from './controlled-channel.js';
import type { AttackModule } from './module.js';
import { attack as observe } from './observe.js';
import { attack as ocallTiming } from './ocall-timing.js';

export const attacks: readonly AttackModule[] = [observe, controlledChannel, accessedBits, ocallTiming, cachePrimeProbe];

export function findAttack(name: string): AttackModule | undefined {
  return attacks.find((a) => a.name === name);
}
