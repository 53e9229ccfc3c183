/**
 * End to end through the CLI: `emon run --trace=FILE` writes Chrome trace JSON of the right shape (one process per
 * guest, a thread per enclave), and `emon trace summary` fires its rules on the chatty example guest built from
 * bench/examples/chatty/chatty.wat. Needs the compiled CLI (dist/) and the built sealer enclave; skipped with the
 * reason otherwise.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildChattyGuest } from '../../bench/examples/chatty/build.js';
import { checkTrace } from './shape.js';
import { modeledNs } from '../../runtime/hw/cost/model.js';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist/runtime/cli/main.js');
const hello = path.join(root, 'build/guests/hello.wasm');
const sealer = path.join(root, 'build/enclaves/sealer.wasm');
const ready = existsSync(cli) && existsSync(hello) && existsSync(sealer);

/** Runs the CLI; a guest's console goes to `consoleFile` when given (a file, not a pipe: see the note below). */
function emon(args: string[], consoleFile?: string): string {
  // The guest console is written synchronously; a pipe that fills up returns EAGAIN, so guests that print a lot
  // are given a file as stdout here.
  const out = consoleFile === undefined ? 'pipe' : openSync(consoleFile, 'w');
  try {
    return String(execFileSync(process.execPath, [cli, ...args], { stdio: ['ignore', out, 'pipe'] }) ?? '');
  } catch (e) {
    throw new Error(`emon ${args.join(' ')} failed: ${String((e as { stderr?: Buffer }).stderr)}`);
  } finally {
    if (typeof out === 'number') closeSync(out);
  }
}

describe.skipIf(!ready)('emon run --trace and emon trace summary', () => {
  it('writes a Perfetto-loadable trace of the hello guest', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'emon-run-trace-'));
    const file = path.join(dir, 'hello.json');
    emon(['run', `--trace=${file}`, hello, '--', 'traced']);
    const events = checkTrace(JSON.parse(readFileSync(file, 'utf8')));
    const writes = events.filter((e) => e.ph === 'X' && e.cat === 'hypercall' && e.name === 'console_write');
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.every((e) => typeof e.args?.bytes === 'number' && e.args.bytes > 0)).toBe(true);
    expect(events.some((e) => e.ph === 'M' && e.name === 'process_name' && e.args?.name === 'guest hello')).toBe(true);
  });

  it('gives the chatty example a guest track and an enclave track, and fires the rules that apply', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'emon-chatty-'));
    const guest = path.join(dir, 'chatty.wasm');
    const file = path.join(dir, 'chatty.json');
    await writeFile(guest, await buildChattyGuest());
    emon(['run', `--state-dir=${path.join(dir, 'state')}`, `--trace=${file}`, `--enclave:sealer=${sealer}`, guest], path.join(dir, 'console.txt'));
    expect(readFileSync(path.join(dir, 'console.txt'), 'utf8')).toMatch(/chatty: done\n$/);
    const events = checkTrace(JSON.parse(readFileSync(file, 'utf8')));
    const tid = (cat: string) => new Set(events.filter((e) => e.cat === cat).map((e) => `${e.pid}/${e.tid}`));
    expect(tid('ecall').size).toBe(1);
    expect([...tid('ecall')][0]).not.toBe([...tid('hypercall')][0]);
    expect(events.filter((e) => e.cat === 'ecall' && e.name === 'unseal_data').length).toBe(1500);

    const json = JSON.parse(emon(['trace', 'summary', '--json', file])) as {
      functions: Array<{ kind: string; name: string; calls: number; meanNs: number; meanBytes: number }>;
      hints: Array<{ rule: string; name: string; message: string }>;
    };
    const fn = (name: string) => json.functions.find((f) => f.name === name)!;
    const fired = (rule: string, name: string) => json.hints.some((h) => h.rule === rule && h.name === name);
    expect(fn('unseal_data').calls).toBe(1500);
    expect(fn('ocall_log').calls).toBeGreaterThanOrEqual(1500);
    // Count- and size-based rules fire whatever the machine's speed.
    expect(fired('chatty-call', 'console_write')).toBe(true);
    expect(fired('large-copy', 'seal_data')).toBe(true);
    // The OCALL rule compares the measured body with the modeled SGX OCALL; check it follows that rule (a
    // heavily loaded machine can make the body slower than the model).
    expect(fired('chatty-call', 'ocall_log')).toBe(fn('ocall_log').meanNs < modeledNs('sgx', 'ocall'));
    const out = emon(['trace', 'summary', file]);
    expect(out).toMatch(/\[chatty-call\] hypercall console_write: 2,001 calls moving 16 B each/);
    expect(out).toMatch(/\[large-copy\] ECALL seal_data copies 64\.\d KiB per call/);
  }, 60_000);
});

if (!ready) {
  describe('emon run --trace and emon trace summary', () => {
    it.skip('skipped: needs dist/ and build/ (run `npm run build`)', () => {});
  });
}
