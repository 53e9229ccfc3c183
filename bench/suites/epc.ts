/**
 * The EPC (issue 6, DESIGN.md §5) in one run: (a) fault service, one EWB of a victim plus one ELDU of the wanted
 * page including the ChaCha20-Poly1305 in Wasm, for clean victims (dropped, not resealed) and dirty ones,
 * beside its parts (two 4 KiB copies; one Wasm 4 KiB seal; one open);
 * (b) the residency checks' overhead on kernels whose working set fits (instrumented vs resident mode);
 * (c) a working-set sweep from 0.25x to 4x a small EPC for each eviction policy (time and faults per second);
 * (d) modeled SGX cycles for the same fault counts (runtime/hw/cost: VAULT, ASPLOS 2018, ~40K cycles per swap);
 * and what the EPC adds to enclave creation (the instrumentation pass; paged vs plain compile + instantiate).
 * Targets: fault service at most 5 µs; check overhead at most 1.25x on the fitting kernel.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchCase, BenchSuite, ReportPlot } from '../suite.js';
import { buildWorkloads } from '../../runtime/build/steps/40-epc.js';
import { WasmCrypto, PAGE_SIZE } from '../../runtime/hw/crypto/index.js';
import { Epc, EPC_IMPORT, instrumentCached, instrumentEnclave } from '../../runtime/hw/epc/index.js';
import { buildDir } from '../../runtime/paths.js';
import type { PolicyName } from '../../runtime/hw/epc/index.js';
import { clockGhz, costTable, modeledCycles } from '../../runtime/hw/cost/model.js';

interface Workloads {
  reserve(bytes: number): number;
  touchPages(base: number, pages: number, count: number): number;
  writePages(base: number, pages: number, count: number): number;
  hashFill(base: number, bytes: number, seed: number): void;
  hashAt(base: number, bytes: number, passes: number): bigint;
  tableAt(base: number, entries: number, ops: number, seed: number): number;
  skewedAt(base: number, entries: number, ops: number, seed: number): number;
}

const SWEEP_EPC_PAGES = 64;
const SWEEP = [0.25, 0.5, 1, 2, 4] as const;
let sink = 0;

/** Imports that satisfy any module's function imports with no-ops (creation is timed, nothing is called). */
function stubImports(image: Uint8Array): WebAssembly.Imports {
  const out: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const imp of WebAssembly.Module.imports(new WebAssembly.Module(image as Uint8Array<ArrayBuffer>))) {
    if (imp.kind !== 'function') continue;
    (out[imp.module] ??= {})[imp.name] = () => 0;
  }
  return out;
}

async function enclave(epc: Epc, bytes: Uint8Array, mode: 'paged' | 'resident', maxBytes: number): Promise<Workloads> {
  const { instance } = await epc.load(bytes, {}, { name: `bench/${mode}`, maxBytes, mode });
  return instance.exports as unknown as Workloads;
}

interface SweepPoint {
  kernel: string;
  policy: PolicyName;
  ws: number;
  faults: number;
  ms: number;
  ops: number;
}
const sweep: SweepPoint[] = [];
type Victim = 'clean' | 'dirty';
const faultCase: Record<Victim, { faults: number; ms: number }> = { clean: { faults: 0, ms: 0 }, dirty: { faults: 0, ms: 0 } };

export const suite: BenchSuite = {
  name: 'epc',
  description: 'EPC paging: fault service (EWB+ELDU with Wasm AEAD), residency-check overhead, working-set sweep per policy, modeled SGX cycles',
  async setup(ctx) {
    sweep.length = 0;
    for (const v of ['clean', 'dirty'] as const) faultCase[v] = { faults: 0, ms: 0 };
    const bytes = new Uint8Array(readFileSync(await buildWorkloads()));
    const cases: BenchCase[] = [];
    const faultCycles = modeledCycles('sgx', 'epc_fault');
    const sgx = (n: number | undefined): { sgx: number } | undefined => (n === undefined ? undefined : { sgx: n });

    // (a) Fault service: 64 pages cycled through a 16-page EPC under FIFO, so every access evicts one page and
    // reloads one. Reads leave every victim clean (reloaded, never written: dropped without a seal); writes make
    // every victim dirty (sealed on eviction).
    for (const victim of ['clean', 'dirty'] as const) {
      const epc = new Epc({ pages: 16, policy: 'fifo' });
      const w = await enclave(epc, bytes, 'paged', 4 << 20);
      const base = w.reserve(64 * PAGE_SIZE);
      const step = victim === 'clean' ? w.touchPages.bind(w) : w.writePages.bind(w);
      step(base, 64, 256);
      const m = sgx(faultCycles);
      cases.push({
        name: `fault/${victim}-victim/4096`, bytes: PAGE_SIZE, params: { part: 'fault', victim, size: PAGE_SIZE },
        baselines: ['copy2x/4096', 'seal/4096', 'open/4096'], ...(m ? { modeledCycles: m } : {}),
        run(n) {
          const f0 = epc.stats.faults;
          const t0 = performance.now();
          sink ^= step(base, 64, n);
          const c = faultCase[victim];
          c.faults += epc.stats.faults - f0;
          c.ms += performance.now() - t0;
        },
      });
    }
    {
      const a = new Uint8Array(PAGE_SIZE).fill(7), b = new Uint8Array(PAGE_SIZE), c = new Uint8Array(PAGE_SIZE);
      cases.push({
        name: 'copy2x/4096', bytes: PAGE_SIZE, params: { part: 'copy2x', size: PAGE_SIZE },
        run(n) {
          for (let i = 0; i < n; i++) {
            b.set(a);
            c.set(b);
            sink ^= c[i & 4095]!;
          }
        },
      });
      const crypto = WasmCrypto.create();
      const key = new Uint8Array(32).fill(1), nonce = new Uint8Array(12), aad = new Uint8Array(32), tag = new Uint8Array(16);
      cases.push({
        name: 'seal/4096', bytes: PAGE_SIZE, params: { part: 'seal', size: PAGE_SIZE, impl: crypto.flavor },
        run(n) {
          for (let i = 0; i < n; i++) {
            nonce[0] = i;
            crypto.sealPage(key, nonce, aad, a, b, tag);
          }
          sink ^= tag[0]!;
        },
      });
      const sealed = new Uint8Array(PAGE_SIZE), sealedTag = new Uint8Array(16), plain = new Uint8Array(PAGE_SIZE);
      crypto.sealPage(key, nonce.fill(0), aad, a, sealed, sealedTag);
      cases.push({
        name: 'open/4096', bytes: PAGE_SIZE, params: { part: 'open', size: PAGE_SIZE, impl: crypto.flavor },
        run(n) {
          for (let i = 0; i < n; i++) sink ^= crypto.openPage(key, nonce, aad, sealed, sealedTag, plain) ? 1 : 0;
        },
      });
    }

    // (b) Residency-check overhead: the same kernels on a 256 KiB region in one EPC that holds all of it.
    {
      const region = 256 << 10;
      for (const mode of ['resident', 'instrumented'] as const) {
        const epc = new Epc({ pages: 4096 });
        const w = await enclave(epc, bytes, mode === 'resident' ? 'resident' : 'paged', 4 << 20);
        const base = w.reserve(region);
        w.hashFill(base, region, 5);
        cases.push({
          name: `check/hash/${mode}`, bytes: region, params: { part: 'check', kernel: 'hash', mode },
          ...(mode === 'instrumented' ? { baselines: ['check/hash/resident'], target: { against: 'check/hash/resident', ratio: 1.25 } } : {}),
          run(n) {
            for (let i = 0; i < n; i++) sink ^= Number(w.hashAt(base, region, 1) & 0xffn);
          },
        });
        cases.push({
          name: `check/table/${mode}`, params: { part: 'check', kernel: 'table', mode },
          ...(mode === 'instrumented' ? { baselines: ['check/table/resident'], target: { against: 'check/table/resident', ratio: 1.25 } } : {}),
          run(n) {
            for (let i = 0; i < n; i++) sink ^= w.tableAt(base, region / 4, 16384, i + 1);
          },
        });
      }
    }

    // Enclave creation with the EPC: the instrumentation pass alone, and prepare + compile + instantiate + EADD
    // against compile + instantiate of the unmodified module (the life-cycle cost the pass adds).
    {
      const images: [string, Uint8Array][] = [['workloads', bytes]];
      const sealer = path.join(buildDir, 'enclaves', 'sealer.unsigned.wasm');
      if (existsSync(sealer)) images.push(['sealer', new Uint8Array(readFileSync(sealer))]);
      for (const [name, image] of images) {
        cases.push({
          name: `create/instrument/${name}`, bytes: image.length, params: { part: 'create', image: name, step: 'instrument' },
          run(n) {
            for (let i = 0; i < n; i++) sink ^= instrumentEnclave(image, { mode: 'paged', maxBytes: 1 << 20, name }).bytes.length;
          },
        });
        cases.push({
          name: `create/plain/${name}`, bytes: image.length, params: { part: 'create', image: name, step: 'plain' },
          run(n) {
            for (let i = 0; i < n; i++) sink ^= Object.keys(new WebAssembly.Instance(new WebAssembly.Module(image as Uint8Array<ArrayBuffer>), stubImports(image)).exports).length;
          },
        });
        cases.push({
          name: `create/instrument-cached/${name}`, bytes: image.length, params: { part: 'create', image: name, step: 'instrument-cached' },
          run(n) {
            for (let i = 0; i < n; i++) sink ^= instrumentCached(image, { mode: 'paged', maxBytes: 1 << 20, name }).bytes.length;
          },
        });
        const epc = new Epc({ pages: 4096 });
        for (const cached of [false, true]) {
          const prepare = cached ? instrumentCached : instrumentEnclave;
          cases.push({
            name: `create/paged${cached ? '-cached' : ''}/${name}`, bytes: image.length, params: { part: 'create', image: name, step: cached ? 'paged-cached' : 'paged' },
            baselines: [`create/plain/${name}`],
            run(n) {
              for (let i = 0; i < n; i++) {
                const prepared = prepare(image, { mode: 'paged', maxBytes: 1 << 20, name });
                const space = epc.open(prepared.layout, name);
                const imports = { ...stubImports(image), [EPC_IMPORT]: space.imports };
                const instance = new WebAssembly.Instance(new WebAssembly.Module(prepared.bytes as Uint8Array<ArrayBuffer>), imports);
                epc.start(space, instance, imports);
                epc.destroy(space);
              }
            },
          });
        }
      }
    }

    // (c) + (d) Working-set sweep over 0.25x..4x a 64-page EPC, for each policy: uniform random table updates
    // (no locality: every policy is as bad) and skewed ones (a hot eighth: recency pays).
    {
      const ops = ctx.quick ? 512 : 2048;
      for (const kernel of ['uniform', 'skewed'] as const) {
        for (const policy of ['clock', 'fifo'] as const) {
          for (const ws of SWEEP) {
            const epc = new Epc({ pages: SWEEP_EPC_PAGES, policy });
            const w = await enclave(epc, bytes, 'paged', 4 << 20);
            const wsBytes = ws * SWEEP_EPC_PAGES * PAGE_SIZE;
            const base = w.reserve(wsBytes);
            const step = kernel === 'uniform' ? w.tableAt.bind(w) : w.skewedAt.bind(w);
            // Warm up to the steady state, then count what one op faults, to model it.
            step(base, wsBytes / 4, ops, 1);
            const f0 = epc.stats.faults;
            step(base, wsBytes / 4, ops, 2);
            const perOp = epc.stats.faults - f0;
            const point: SweepPoint = { kernel, policy, ws, faults: 0, ms: 0, ops: 0 };
            sweep.push(point);
            cases.push({
              name: `sweep/${kernel}/${policy}/${ws}x`,
              params: { part: 'sweep', kernel, policy, ws, epcPages: SWEEP_EPC_PAGES, updates: ops },
              ...(faultCycles !== undefined ? { modeledCycles: { sgx: perOp * faultCycles } } : {}),
              run(n) {
                const f = epc.stats.faults;
                const t0 = performance.now();
                for (let i = 0; i < n; i++) sink ^= step(base, wsBytes / 4, ops, i + 3);
                point.ms += performance.now() - t0;
                point.faults += epc.stats.faults - f;
                point.ops += n;
              },
            });
          }
        }
      }
    }
    return cases;
  },

  async extra() {
    const fault = costTable.sgx.epc_fault;
    const ghz = clockGhz('sgx');
    const series = (y: (p: SweepPoint) => number | null, suffix = ''): ReportPlot['series'] =>
      [...new Set(sweep.map((p) => `${p.kernel} · ${p.policy}`))].map((name) => ({
        name: name + suffix,
        points: sweep.filter((p) => `${p.kernel} · ${p.policy}` === name && p.ops > 0).map((p) => ({ x: p.ws, y: y(p) ?? 0 })),
      }));
    const plots: ReportPlot[] = [
      { title: 'EPC faults per op vs working set (x EPC), per kernel and policy', xLabel: 'working set / EPC', xLog: true, yLabel: 'faults per op', series: series((p) => p.faults / p.ops) },
      { title: 'EPC faults per second vs working set (x EPC)', xLabel: 'working set / EPC', xLog: true, yLabel: 'faults/s', series: series((p) => (p.ms > 0 ? (p.faults * 1000) / p.ms : 0)) },
      {
        title: 'Paging time per op: measured in emon vs modeled SGX (VAULT, ~40K cycles per swap)',
        xLabel: 'working set / EPC',
        xLog: true,
        yLabel: 'ms per op',
        series: [
          ...series((p) => p.ms / p.ops, ' (measured)'),
          ...(fault ? series((p) => ((p.faults / p.ops) * fault.cycles) / (ghz * 1e6), ' (modeled SGX)') : []),
        ],
      },
    ];
    return {
      plots,
      faultServiceCleanVictimUs: faultCase.clean.faults > 0 ? (faultCase.clean.ms * 1000) / faultCase.clean.faults : null,
      faultServiceDirtyVictimUs: faultCase.dirty.faults > 0 ? (faultCase.dirty.ms * 1000) / faultCase.dirty.faults : null,
      faultServiceTargetUs: 5,
      modeledFaultUs: fault ? fault.cycles / (ghz * 1000) : null,
      modeledSource: fault?.source ?? null,
      sweep: sweep.map((p) => ({
        kernel: p.kernel,
        policy: p.policy,
        ws: p.ws,
        epcPages: SWEEP_EPC_PAGES,
        msPerOp: p.ops > 0 ? p.ms / p.ops : null,
        faultsPerOp: p.ops > 0 ? p.faults / p.ops : null,
        faultsPerSecond: p.ms > 0 ? (p.faults * 1000) / p.ms : 0,
        modeledSgxMsPerOp: fault && p.ops > 0 ? ((p.faults / p.ops) * fault.cycles) / (ghz * 1e6) : null,
      })),
      sink,
    };
  },
};
