/**
 * `emon attack NAME`: runs an adversarial monitor module (runtime/attack) against victim enclaves, the built-in
 * ones with a known secret or the user's own module, and prints (and writes as JSON) the fraction of the secret
 * recovered against chance; `--html` writes the timeline of what the host saw. `emon attack --list` lists the
 * attacks and victims. The attack code is imported here only, never by `emon run`.
 */
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { EmonError } from '../../errors.js';
import { readRegularFile } from '../../files.js';

interface AttackOpts {
  list?: boolean;
  victim: string;
  variant: string;
  module?: string;
  entry?: string;
  trainEntry?: string;
  alphabet?: string;
  symbols: string;
  seed: string;
  json?: string;
  html?: string;
  trace?: string;
  screenshot?: string;
  run?: string;
}

function int(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isInteger(n) || n < min || n > max) {
    throw new EmonError('E_ATTACK_ARG', `--${name} ${JSON.stringify(v)} is not an integer from ${min} to ${max}`, { hint: `give --${name} N with ${min} <= N <= ${max}` });
  }
  return n;
}

function readModule(file: string): Uint8Array {
  try {
    return new Uint8Array(readRegularFile(file));
  } catch (e) {
    throw new EmonError('E_ATTACK_VICTIM', `cannot read victim module ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      hint: 'give a .wasm file that follows the victim protocol (docs/side-channels.md)',
    });
  }
}

/** `emon attack observe --trace FILE | --run ARGS`: the observation of a real run. */
async function observeRun(opts: AttackOpts, file: string | undefined): Promise<void> {
  const { describeObservation, observeTrace, sizesTable } = await import('../../attack/from-trace.js');
  let run: ReturnType<typeof observeTrace>;
  let source: string;
  if (file === undefined) {
    const { runObserved } = await import('../../attack/run-observed.js');
    const tokens = (opts.run ?? '').split(/\s+/).filter(Boolean);
    const observed = await runObserved(tokens);
    console.log(`guest ${observed.result.name} ended (${observed.result.reason}, status ${observed.result.status})`);
    run = observeTrace(observed.events, observed.samples);
    source = `emon attack observe --run "${tokens.join(' ')}"`;
  } else {
    run = observeTrace(await readTrace(file));
    source = `emon run --trace: ${file}`;
  }
  for (const e of run.enclaves) console.log(`${e.track}: ${describeObservation(e)}`);
  for (const s of run.sizes) console.log(`  ${s.track} ${s.call}: ${s.count} x, bytes ${s.bytes.length === 0 ? '-' : [...new Set(s.bytes)].slice(0, 8).join(', ')}`);
  if (run.enclaves.length === 0) console.log(`no enclave or TA activity (was the guest run with --enclave:NAME=FILE or a TA${file === undefined ? '' : ', and --trace'}?)`);
  if (opts.json) await writeFile(opts.json, JSON.stringify(run, null, 1) + '\n');
  if (opts.html) {
    const { renderRunTimeline } = await import('../../attack/timeline.js');
    await writeFile(opts.html, renderRunTimeline(source, run.enclaves, [sizesTable(run)]));
  }
  await screenshot(opts);
}

async function readTrace(file: string): Promise<import('../../trace/sink.js').TraceEvent[]> {
  let text: string;
  try {
    text = readRegularFile(file, 'utf8');
  } catch (e) {
    throw new EmonError('E_TRACE', `cannot read trace ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { hint: 'write one with `emon run --trace=t.json ... GUEST.wasm`' });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new EmonError('E_TRACE', `trace ${file} is not valid JSON: ${(e as Error).message}`, { hint: 'a trace cut short cannot be read; re-run the guest with --trace' });
  }
  const { parseTrace } = await import('../../trace/read.js');
  return parseTrace(json, file);
}

/** An adversarial monitor module of the user's (a .js/.mjs file exporting `attack`, the contract of module.ts). */
async function loadAttackModule(file: string): Promise<import('../../attack/module.js').AttackModule> {
  const { pathToFileURL } = await import('node:url');
  const { resolve } = await import('node:path');
  let mod: Record<string, unknown>;
  try {
    if (!statSync(file).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
    mod = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  } catch (e) {
    throw new EmonError('E_ATTACK_MODULE', `cannot load attack module ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message ?? String(e)}`, {
      hint: 'give an ES module that exports `attack` (see runtime/attack/module.ts and docs/side-channels.md)',
    });
  }
  const a = mod['attack'] as Record<string, unknown> | undefined;
  if (!a || typeof a !== 'object' || typeof a['name'] !== 'string' || typeof a['monitor'] !== 'function' || typeof a['feature'] !== 'function') {
    throw new EmonError('E_ATTACK_MODULE', `attack module ${file} does not export \`attack\` with a name, monitor() and feature()`, {
      hint: 'export const attack = { name, summary, source, recordsFaults, monitor(view, obs) { return { enter, ocall, exit } }, feature(segment) }',
    });
  }
  return { summary: '', source: file, recordsFaults: true, ...(a as object) } as import('../../attack/module.js').AttackModule;
}

async function screenshot(opts: AttackOpts): Promise<void> {
  if (opts.screenshot === undefined) return;
  if (!opts.html) throw new EmonError('E_ATTACK_ARG', '--screenshot needs --html', { hint: 'e.g. --html attack.html --screenshot attack.png' });
  const { screenshotReport } = await import('../../../bench/report/screenshot.js');
  await screenshotReport(opts.html, opts.screenshot);
}

export function register(program: Command): void {
  program
    .command('attack')
    .description('run an adversarial monitor module against victim enclaves and score the secret it recovers (side channels)')
    .argument('[name]', 'attack to run (see --list), "all", or your own attack module (a .js/.mjs file exporting `attack`)')
    .option('--list', 'list the attacks and the built-in victims')
    .option('--victim <name>', 'built-in victim: lut, spell, sqmul, ttable, branch, ta-ttable (a TrustZone TA) or all', 'all')
    .option('--variant <v>', 'naive, hardened, detect or all', 'all')
    .option('--module <file.wasm>', "attack your own enclave module instead (victim protocol: docs/side-channels.md)")
    .option('--entry <names>', 'with --module: the ECALL(s) to attack, comma-separated')
    .option('--train-entry <name>', 'with --module: the ECALL the attacker profiles (default: the attacked one)')
    .option('--alphabet <n>', 'with --module: symbols of the secret alphabet (2..256)')
    .option('--symbols <n>', 'length of the secret', '1024')
    .option('--seed <n>', 'seed of the secret', '1')
    .option('--json <file>', 'write the scores as JSON')
    .option('--html <file>', 'write the timeline report (self-contained HTML)')
    .option('--screenshot <png>', 'with --html: also save a PNG of the rendered timeline (needs chromium)')
    .option('--run <args>', 'observe only: run one guest as `emon run ARGS` would, sampling A/D bits at every ECALL/OCALL (quote the arguments)')
    .option('--trace <file>', 'observe only: what the host saw in a real run, from `emon run --trace=FILE` (faults, ECALL/OCALL order, sizes, times)')
    .addHelpText('after', '\nExamples:\n  emon attack --list\n  emon attack controlled-channel --victim lut\n  emon attack all --html attack.html --json attack.json\n  emon attack observe --trace t.json --html t.html   (t.json from emon run --trace=t.json)\n  emon attack observe --html t.html --run "--enclave:sealer=build/enclaves/sealer.wasm --block:storage=s.img,size=64K build/guests/enclave-seal.wasm"\n  emon attack accessed-bits --module my.wasm --entry decode --alphabet 16\n  emon attack cache-prime-probe --victim ta-ttable   (a TrustZone TA: SMCs and the shared cache)')
    .action(async (name: string | undefined, opts: AttackOpts) => {
      const { attacks, findAttack } = await import('../../attack/registry.js');
      const { builtinVictims, taVictims, variants, victimEntry } = await import('../../attack/victims.js');
      if (opts.list) {
        console.log('attacks:');
        for (const a of attacks) console.log(`  ${a.name.padEnd(20)} ${a.summary}\n  ${''.padEnd(20)} (${a.source})`);
        console.log('built-in victims (each naive, hardened, detect):');
        for (const v of builtinVictims) console.log(`  ${v.name.padEnd(20)} ${v.summary}; alphabet ${v.alphabet}`);
        console.log(`built-in victim TAs (TrustZone, each ${taVictims[0]!.variants.join(', ')}; attacks: ${attacks.filter((a) => a.onTa).map((a) => a.name).join(', ')}):`);
        for (const v of taVictims) console.log(`  ${v.name.padEnd(20)} ${v.summary}; alphabet ${v.alphabet}`);
        return;
      }
      if (!name) throw new EmonError('E_ATTACK_ARG', 'no attack named', { hint: 'give an attack name or "all"; `emon attack --list` lists them' });
      const chosen = name === 'all' ? attacks : /\.m?js$/.test(name) ? [await loadAttackModule(name)] : [findAttack(name)].filter((a) => a !== undefined);
      if (chosen.length === 0) {
        throw new EmonError('E_ATTACK_ARG', `unknown attack "${name}"`, { hint: `use one of ${attacks.map((a) => a.name).join(', ')}, or all` });
      }
      if (opts.trace !== undefined || opts.run !== undefined) {
        if (name !== 'observe') throw new EmonError('E_ATTACK_ARG', `--trace and --run go with the observe module, not "${name}"`, { hint: 'emon attack observe --trace t.json --html t.html' });
        if (opts.trace !== undefined && opts.run !== undefined) throw new EmonError('E_ATTACK_ARG', '--trace and --run are two sources of one observation: give one', { hint: 'use --run to sample A/D bits too' });
        await observeRun(opts, opts.trace);
        return;
      }
      const symbols = int('symbols', opts.symbols, 2, 4096);
      const seed = int('seed', opts.seed, 0, 0xffffffff);
      const { runCampaign } = await import('../../attack/campaign.js');
      const jobs: { bytes: Uint8Array; victim: string; entry: string; trainEntry: string; alphabet: number; ta?: 'naive' | 'hardened' }[] = [];
      if (opts.module) {
        if (!opts.entry || !opts.alphabet) throw new EmonError('E_ATTACK_ARG', '--module needs --entry and --alphabet', { hint: 'e.g. --module my.wasm --entry decode --alphabet 16' });
        const alphabet = int('alphabet', opts.alphabet, 2, 256);
        const bytes = readModule(opts.module);
        for (const entry of opts.entry.split(',').filter(Boolean)) jobs.push({ bytes, victim: opts.module, entry, trainEntry: opts.trainEntry ?? entry, alphabet });
      } else {
        const vs = opts.victim === 'all' ? builtinVictims : builtinVictims.filter((v) => v.name === opts.victim);
        const tas = opts.victim === 'all' ? taVictims : taVictims.filter((v) => v.name === opts.victim);
        if (vs.length === 0 && tas.length === 0) throw new EmonError('E_ATTACK_ARG', `unknown victim "${opts.victim}"`, { hint: `use one of ${[...builtinVictims, ...taVictims].map((v) => v.name).join(', ')}, or all` });
        const vars = opts.variant === 'all' ? variants : variants.filter((v) => v === opts.variant);
        if (vars.length === 0) throw new EmonError('E_ATTACK_ARG', `unknown variant "${opts.variant}"`, { hint: 'use naive, hardened, detect or all' });
        if (vs.length > 0) {
          const { buildVictims } = await import('../../build/steps/45-victims.js');
          const bytes = new Uint8Array(readRegularFile(await buildVictims()));
          for (const v of vs) for (const variant of vars) jobs.push({ bytes, victim: v.name, alphabet: v.alphabet, ...victimEntry(v.name, variant) });
        }
        // A victim TA: only the attacks a normal world has against TrustZone (no page view), and its two versions.
        const taVars = tas.length > 0 ? taVictims[0]!.variants.filter((v) => vars.includes(v)) : [];
        if (tas.length > 0 && opts.victim !== 'all') {
          const pageOnly = chosen.filter((a) => !a.onTa);
          if (pageOnly.length === chosen.length) {
            throw new EmonError('E_ATTACK_ARG', `${pageOnly.map((a) => a.name).join(', ')} needs the victim's page tables, which the normal world does not have for a TrustZone TA`, {
              hint: `against ${opts.victim} use ${attacks.filter((a) => a.onTa).map((a) => a.name).join(' or ')}`,
            });
          }
          if (taVars.length === 0) throw new EmonError('E_ATTACK_ARG', `${opts.victim} has no ${opts.variant} version`, { hint: `use ${taVictims[0]!.variants.join(' or ')}` });
        }
        for (const v of tas) for (const variant of taVars) jobs.push({ bytes: new Uint8Array(0), victim: v.name, alphabet: v.alphabet, entry: `${v.name.replace('-', '_')}_${variant}`, trainEntry: '', ta: variant });
      }
      const results = [];
      const taFile = jobs.some((j) => j.ta) ? await (await import('../../attack/ta-victim.js')).victimTaFile() : '';
      for (const a of chosen) {
        for (const j of jobs) {
          if (j.ta && !a.onTa) continue;
          const r = j.ta
            ? await (await import('../../attack/ta-campaign.js')).runTaCampaign({ attack: a, file: taFile, variant: j.ta, symbols, seed })
            : await runCampaign({ attack: a, ...j, symbols, seed });
          results.push(r);
          const stop = r.stopped ? `  stopped itself after ${r.processed} symbols (${(100 * r.exposed).toFixed(2)}% exposed)` : '';
          console.log(`${a.name.padEnd(19)} ${r.entry.padEnd(18)} recovered ${(100 * r.accuracy).toFixed(1).padStart(5)}% of ${r.symbols} (chance ${(100 * r.chance).toFixed(1)}%)  faults ${r.faults}${stop}`);
        }
      }
      // The cost of each mitigation and of observing, measured in this run, for the built-in victims.
      let cost: Awaited<ReturnType<typeof import('../../attack/cost.js').measureCost>> = [];
      if (!opts.module && (opts.json || opts.html)) {
        const { measureCost } = await import('../../attack/cost.js');
        const vs = builtinVictims.filter((v) => jobs.some((j) => j.victim === v.name));
        const sgx = jobs.find((j) => !j.ta);
        if (sgx) cost = await measureCost(sgx.bytes, vs);
        if (jobs.some((j) => j.ta)) cost.push(await (await import('../../attack/cost.js')).measureTaCost(taFile));
        for (const c of cost) {
          if (c.world === 'tz') console.log(`cost ${c.victim.padEnd(6)} naive run ${(c.naiveMs * 1000).toFixed(1)} us (${c.symbols} commands); hardened ${c.hardenedRatio.toFixed(2)}x, observing every SMC ${c.observeRatio.toFixed(2)}x`);
          else console.log(`cost ${c.victim.padEnd(6)} naive ECALL ${(c.naiveMs * 1000).toFixed(1)} us; hardened ${c.hardenedRatio.toFixed(2)}x, detecting ${c.detectRatio.toFixed(2)}x, A/D sampling ${c.observeRatio.toFixed(2)}x`);
        }
      }
      if (opts.json) {
        const out = results.map(({ events: _e, ...r }) => r);
        await writeFile(opts.json, JSON.stringify({ seed, symbols, results: out, cost }, null, 1) + '\n');
      }
      if (opts.html) {
        const { renderTimeline } = await import('../../attack/timeline.js');
        const { costTable } = await import('../../attack/cost.js');
        await writeFile(opts.html, renderTimeline(results, cost.length > 0 ? [costTable(cost)] : []));
      }
      await screenshot(opts);
    });
}
