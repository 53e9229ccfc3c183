/**
 * A victim trusted application under an adversarial normal world (issue 18, TrustZone): the TA of
 * enclaves/ta-victim, built and signed as any TA (`emon ta build`), runs in a secure world of its own
 * (runtime/hw/tz/secure-world.ts, the code `emon run --backend=tz` uses) with its loads and stores routed through
 * the shared cache model (hw/cache, opt-in through hw/tz's TaInstrumentation). This file is the client
 * application and the test bench: it opens a session, provisions the secret with one input memref, and asks for
 * one step per InvokeCommand. The attacker gets only what the normal world has: the secure world's trace of
 * every SMC (its own calls: command, memref sizes, times) and the cache it shares with the TA. It has no page
 * view: secure-world page tables are not the normal world's, so a TA shows no page faults and no A/D bits.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { EmonError } from '../errors.js';
import { readSignerKey, writeNewSignerKey } from '../enclave/signing.js';
import { cacheRouting } from '../hw/cache/instrument.js';
import type { SetAssocCache } from '../hw/cache/model.js';
import type { HwTraceEvent } from '../hw/backend.js';
import type { OsPageView } from '../hw/epc/index.js';
import { Carveout, DEFAULT_SECURE_MEM } from '../hw/tz/carveout.js';
import { LOGIN_PUBLIC, PARAM_MEMREF_INPUT, PARAM_VALUE_OUTPUT, TEE_SUCCESS, resultName } from '../hw/tz/gp.js';
import { SecureWorld } from '../hw/tz/secure-world.js';
import { TA_SUFFIX } from '../hw/tz/ta-image.js';
import { buildDir, projectRoot } from '../paths.js';
import type { TransitionHooks } from './module.js';
import type { Observation } from './observation.js';
import { MAX_SECRET } from './victim.js';

/** The victim TA of enclaves/ta-victim (its ta.json) and its commands. */
export const VICTIM_TA_UUID = '7a1c7ab1-e5e0-4c5a-9e18-5ec12e7c0de5';
export const TA_COMMANDS = { provision: 0, naive: 1, hardened: 2 } as const;
export type TaVariant = 'naive' | 'hardened';

const source = path.join(projectRoot, 'enclaves', 'ta-victim');

/** The signed victim TA, built into build/ta (with the build's development key) when missing or older than its sources. */
export async function victimTaFile(): Promise<string> {
  const out = path.join(buildDir, 'ta', VICTIM_TA_UUID + TA_SUFFIX);
  const newest = Math.max(...[source, path.join(projectRoot, 'enclaves', 'tasdk')].flatMap((d) => readdirSync(d).map((f) => statSync(path.join(d, f)).mtimeMs)));
  if (existsSync(out) && statSync(out).mtimeMs >= newest) return out;
  const { devKeyFile } = await import('../build/steps/30-enclaves.js');
  const { buildTa } = await import('../build/ta.js');
  if (!existsSync(devKeyFile)) {
    mkdirSync(path.dirname(devKeyFile), { recursive: true, mode: 0o700 });
    writeNewSignerKey(devKeyFile);
  }
  return buildTa(source, path.dirname(out), readSignerKey(devKeyFile));
}

/** The page view an attack gets against a TA: none (its use is a clear error, not a silent empty record). */
export function noPageView(attack: string): OsPageView {
  const refuse = (): never => {
    throw new EmonError('E_ATTACK_ARG', `${attack} needs the victim's page tables, which the normal world does not have for a TrustZone TA`, {
      hint: 'against a TA use cache-prime-probe or ocall-timing (`emon attack --list`)',
    });
  };
  return { enclave: -1, name: 'ta', maxPages: 0, resident: refuse, evict: refuse, evictAll: refuse, scan: refuse };
}

/** Where the client keeps its TEEC_Operation and the secret it provisions, in its own (normal-world) memory. */
const OP = 64;
const SECRET_AT = 4096;

export class VictimTa {
  private readonly world: SecureWorld;
  private readonly g = new Uint8Array(SECRET_AT + MAX_SECRET);
  private readonly gdv = new DataView(this.g.buffer);
  private readonly session: number;
  /** The attacker's hooks and record, fed by the secure world's trace of each SMC. */
  private hooks: TransitionHooks | null = null;
  private obs: Observation | null = null;
  private armed = false;
  /** The last command's value output (a, b): the running output and the position. */
  lastValue: [number, number] = [0, 0];

  constructor(file: string, readonly name: string, cache?: SetAssocCache) {
    const self = this;
    this.world = new SecureWorld({
      taDir: null,
      builtin: new Map([[VICTIM_TA_UUID, file]]),
      carveout: Carveout.create(DEFAULT_SECURE_MEM),
      client: name,
      log: () => {},
      trace: { record: (e) => self.smc(e) },
      spin: null,
      ...(cache ? { instrument: cacheRouting(cache) } : {}),
    });
    const r = this.world.openSession(VICTIM_TA_UUID, LOGIN_PUBLIC, this.g, this.gdv, 0);
    if (r !== TEE_SUCCESS) {
      throw new EmonError('E_ATTACK_VICTIM', `victim TA ${file}: OpenSession returned ${resultName(r)}: ${this.world.lastError}`, { hint: 'rebuild it with `npm run build`' });
    }
    this.session = this.world.lastSession;
  }

  /** What the normal world sees of each SMC: the first command after arming starts the record. */
  private smc(e: HwTraceEvent): void {
    const obs = this.obs;
    if (obs === null || e.kind !== 'ta_invoke') return;
    if (this.armed) {
      this.armed = false;
      this.hooks?.enter?.();
    } else this.hooks?.ocall?.(0, e.bytes ?? 0);
    obs.push({ t: obs.now(), kind: 'smc', name: e.name, size: e.bytes ?? 0 });
  }

  private invoke(cmd: number, types: number, set: (at: number) => void): void {
    const g = this.gdv;
    g.setUint32(OP, 1, true);
    g.setUint32(OP + 4, types, true);
    set(OP + 8);
    const r = this.world.invoke(this.session, cmd, this.g, g, OP);
    if (r !== TEE_SUCCESS) throw new EmonError('E_ATTACK_VICTIM', `victim TA ${this.name}: command ${cmd} returned ${resultName(r)}: ${this.world.lastError}`, { hint: 'rebuild it with `npm run build`' });
  }

  /**
   * Provisions `secret` (one memref: the attacker sees its size, never reads it), then runs `secret.length` steps
   * of `variant` under the attacker's `hooks`, recording into `obs` from the provisioning command's return on.
   * Returns the steps the TA took.
   */
  run(variant: TaVariant, secret: Uint8Array, hooks: TransitionHooks | null, obs: Observation | null): number {
    if (secret.length > MAX_SECRET) throw new EmonError('E_ATTACK_ARG', `a secret of ${secret.length} symbols is longer than the ${MAX_SECRET} the victim TA takes`, { hint: `use --symbols ${MAX_SECRET} or fewer` });
    this.hooks = hooks;
    this.obs = obs;
    this.armed = true;
    try {
      this.g.set(secret, SECRET_AT);
      this.invoke(TA_COMMANDS.provision, PARAM_MEMREF_INPUT, (at) => {
        this.gdv.setUint32(at, SECRET_AT, true);
        this.gdv.setUint32(at + 4, secret.length, true);
      });
      const cmd = TA_COMMANDS[variant];
      for (let i = 0; i < secret.length; i++) this.invoke(cmd, PARAM_VALUE_OUTPUT, () => {});
      this.lastValue = [this.gdv.getUint32(OP + 8, true), this.gdv.getUint32(OP + 12, true)];
      return this.lastValue[1];
    } finally {
      this.hooks = null;
      this.obs = null;
      this.armed = false;
    }
  }

  destroy(): void {
    this.world.shutdown();
  }
}
