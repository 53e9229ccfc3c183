/**
 * Fleets (runtime/monitor/fleet.ts, fleetargs.ts; runs the compiled fleet worker from dist/, so `npm run build`
 * first): N copies from one command line with {i} substitution, guests spread over shared workers, a failing
 * guest ending alone, the summary, and a fleet too large for memory refused before anything starts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isEmonError } from '../../runtime/errors.js';
import { buildDir } from '../../runtime/paths.js';
import { SCHEDULER_SERVES } from '../../runtime/monitor/asyncify-abi.js';
import { makeSuspendable } from '../../runtime/monitor/asyncify.js';
import { needsExtensions } from '../../runtime/monitor/attach.js';
import { deviceModules } from '../../runtime/monitor/devices/index.js';
import { fleetSummary, runFleet } from '../../runtime/monitor/fleet.js';
import { prepareGuestBytes } from '../../runtime/monitor/loader.js';
import { parseRunArgs } from '../../runtime/monitor/runargs.js';
import { SOLO5_IMPORTS, wat } from './helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-fleet-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function guestFile(name: string, body: string, pages = 1): Promise<string> {
  const bytes = await wat(`(module ${SOLO5_IMPORTS} (memory (export "memory") ${pages}) (data (i32.const 16) "hi\\0a") ${body})`);
  const file = path.join(tmp, `${name}.wasm`);
  writeFileSync(file, bytes);
  return file;
}
const MAIN = (body: string) => `(func (export "solo5_app_main") (param i32) (result i32) ${body})`;
/** Exits with the number its command line starts with (one digit), after a 1 ms sleep. */
const DIGIT = MAIN(`(call $yield (i64.add (call $clock_monotonic) (i64.const 1000000)) (i32.const 64)) (i32.sub (i32.load8_u (i32.load (local.get 0))) (i32.const 48))`);

describe('fleet command line', () => {
  it('--instances=N makes N guests with {i} replaced in the name, the arguments and attachment values', () => {
    const p = parseRunArgs(['--instances=3', '--name=edge-{i}', '--block:disk=img-{i}.img', 'g.wasm', 'id={i}']);
    expect(p.launches.map((l) => [l.name, l.cmdline, l.attachments.get('block')?.get('disk')])).toEqual([
      ['edge-0', 'id=0', 'img-0.img'],
      ['edge-1', 'id=1', 'img-1.img'],
      ['edge-2', 'id=2', 'img-2.img'],
    ]);
    expect(p.fleet).toMatchObject({ instances: 3, sched: 'shared', quiet: false });
    expect(parseRunArgs(['--instances=2', 'dir/g.wasm']).launches.map((l) => l.name)).toEqual(['g.0', 'g.1']);
    expect(parseRunArgs(['g.wasm']).fleet).toBeNull();
  });

  it('refuses bad fleet options with a typed error naming the option', () => {
    for (const [args, re] of [
      [['--instances=0', 'g.wasm'], /--instances=0: expected a whole number/],
      [['--instances=lots', 'g.wasm'], /--instances=lots/],
      [['--sched=magic', 'g.wasm'], /--sched=magic: expected shared or worker/],
      [['--workers=-1', 'g.wasm'], /--workers=-1/],
      [['--slice-ms=0', 'g.wasm'], /--slice-ms=0/],
    ] as const) {
      try {
        parseRunArgs(args);
        expect.unreachable(args.join(' '));
      } catch (e) {
        expect(isEmonError(e, 'E_USAGE')).toBe(true);
        expect((e as Error).message).toMatch(re);
      }
    }
  });
});

describe('shared-worker fleet', () => {
  it('a rewritten guest importing only solo5 and the scheduler needs no extensions; one importing "emon" does', async () => {
    const plain = prepareGuestBytes(await wat(`(module ${SOLO5_IMPORTS} (memory (export "memory") 1) ${DIGIT})`), 'plain', 4);
    const rewritten = new WebAssembly.Module(makeSuspendable(plain.bytes, 'plain') as BufferSource);
    expect(WebAssembly.Module.imports(rewritten).some((i) => i.module === 'emon_sched')).toBe(true);
    expect(needsExtensions(rewritten, plain.manifest, new Map(), deviceModules, SCHEDULER_SERVES)).toBe(false);
    // Without the scheduler's module among those served, the same guest would be given extensions (and a worker).
    expect(needsExtensions(rewritten, plain.manifest, new Map(), deviceModules)).toBe(true);
    const ecall = prepareGuestBytes(await wat(`(module ${SOLO5_IMPORTS} (import "emon" "enclave_open" (func (param i32 i32) (result i64))) (memory (export "memory") 1) ${DIGIT})`), 'ecall', 4);
    expect(needsExtensions(new WebAssembly.Module(makeSuspendable(ecall.bytes, 'ecall') as BufferSource), ecall.manifest, new Map(), deviceModules, SCHEDULER_SERVES)).toBe(true);
  });

  it('runs 60 guests on 2 workers, each with its own arguments; a trapping and a spinning guest end alone', { timeout: 120_000 }, async () => {
    const digit = await guestFile('digit', DIGIT);
    const trap = await guestFile('trap', MAIN('(call $yield (i64.const 0) (i32.const 64)) unreachable'));
    const spin = await guestFile('spin', MAIN('(loop $l (br $l)) (i32.const 0)'));
    const p = parseRunArgs(['--instances=20', '--name=d{i}', digit, '{i}']);
    const launches = [...p.launches, ...parseRunArgs(['--instances=20', trap]).launches, ...parseRunArgs(['--instances=20', spin]).launches];
    const results = await runFleet(launches, { console: 'null', workers: 2, timeoutS: 2 });
    expect(results).toHaveLength(60);
    // d0..d19 exit with the first digit of their index; the traps and spinners do not disturb them.
    expect(results.slice(0, 20).map((r) => r.status)).toEqual(Array.from({ length: 20 }, (_, i) => Number(String(i)[0])));
    expect(results.slice(0, 20).every((r) => r.reason === 'return')).toBe(true);
    expect(new Set(results.slice(20, 40).map((r) => `${r.reason} ${r.status}`))).toEqual(new Set(['trap 255']));
    expect(new Set(results.slice(40).map((r) => `${r.reason} ${r.status}`))).toEqual(new Set(['timeout 124']));
    const summary = fleetSummary(results, 1).join('\n');
    expect(summary).toMatch(/60 guests .*: 1 exited 0, 59 failed/);
    expect(summary).toMatch(/by exit status: 0: 1, 1: 11, 2: 1, 3: 1, .*9: 1, 124: 20, 255: 20/);
    expect(summary).toMatch(/by end: return: 20, trap: 20, timeout: 20/);
  });

  it('refuses a fleet larger than the memory available, with the estimate, before starting anything', async () => {
    const big = await guestFile('big', MAIN('(i32.const 0)'), 160);
    const launches = parseRunArgs(['--instances=1000', big]).launches;
    await expect(runFleet(launches, { console: 'null', availableBytes: 2 ** 30 })).rejects.toSatisfy(
      (e: unknown) => isEmonError(e, 'E_FLEET_MEMORY') && /1000 guests needs about 1\d{4} MiB \(10\.38 MiB each.*but 1024 MiB is available/.test((e as Error).message) && /at most 98 guests/.test((e as { hint: string }).hint),
    );
  });

  it('refuses net devices, and imports that nothing serves, before starting anything', async () => {
    const g = await guestFile('plain', MAIN('(i32.const 0)'));
    await expect(runFleet(parseRunArgs(['--instances=2', '--net:service=switch:s', g]).launches, { console: 'null' })).rejects.toSatisfy(
      (e: unknown) => isEmonError(e, 'E_FLEET') && /--sched=worker/.test((e as { hint: string }).hint),
    );
    const foreign = path.join(tmp, 'foreign.wasm');
    writeFileSync(foreign, await wat(`(module (import "wasi_unstable" "nap" (func)) (memory (export "memory") 1) ${MAIN('(i32.const 0)')})`));
    await expect(runFleet(parseRunArgs(['--instances=2', foreign]).launches, { console: 'null' })).rejects.toSatisfy(
      (e: unknown) => isEmonError(e, 'E_IMPORT') && /"wasi_unstable"."nap"/.test((e as Error).message),
    );
  });

  it('a fleet of guests that each seal a secret with an enclave works in shared workers, and unseals it on the next run', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(path.join(tmp, 'seal-'));
    // Six guests on two workers: three share each thread's EPC install, and the first to end leaves it to the rest.
    const args = ['--instances=6', `--state-dir=${dir}`, `--block:storage=${path.join(dir, 'disk-{i}.img')},size=64K`, `--enclave:sealer=${path.join(buildDir, 'enclaves', 'sealer.wasm')}`, path.join(buildDir, 'guests', 'enclave-seal.wasm')];
    const first = parseRunArgs(args);
    const r1 = await runFleet(first.launches, { console: 'null', options: first.options, workers: 2 });
    expect(r1.map((r) => [r.reason, r.status])).toEqual(Array.from({ length: 6 }, () => ['return', 0]));
    // Each guest's disk now holds its own sealed blob; a second run unseals it (status 0 only if it did).
    const r2 = await runFleet(first.launches, { console: 'null', options: first.options, workers: 2 });
    expect(r2.map((r) => r.status)).toEqual([0, 0, 0, 0, 0, 0]);
    for (let i = 0; i < 6; i++) expect(statSync(path.join(dir, `disk-${i}.img`)).size).toBe(65536);
  });
});
