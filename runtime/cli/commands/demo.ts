/**
 * `emon demo` (`npm start`): runs the example unikernels one after the other with readable output. The demo
 * is a list of steps; each runs guests through the same supervisor as `emon run`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { EmonError } from '../../errors.js';
import { buildDir } from '../../paths.js';
import { runGuests, type GuestLaunch } from '../../monitor/supervisor.js';
import { hostNetStep } from './demo-hostnet.js';
import { storageDemoStep } from './demo-storage.js';
import { middleboxStep } from './demo-middlebox.js';

export interface DemoContext {
  /** A scratch directory removed after the demo. */
  readonly tmp: string;
  /** Path of a built guest, e.g. guest('hello') -> build/guests/hello.wasm. */
  guest(name: string): string;
  launch(file: string, extra?: Partial<GuestLaunch>): GuestLaunch;
}

export interface DemoStep {
  readonly title: string;
  /** What the viewer is about to see, one or two lines. */
  readonly explain: string;
  /** Runs the step; true when it did what it shows. */
  run(ctx: DemoContext): Promise<boolean>;
}

async function allOk(launches: GuestLaunch[], timeoutS = 20): Promise<boolean> {
  const results = await runGuests(launches, { options: {}, timeoutS });
  return results.every((r) => r.status === 0);
}

export const demoSteps: DemoStep[] = [
  {
    title: 'hello',
    explain: 'A unikernel that prints its command line (emon run build/guests/hello.wasm -- ...).',
    run: (ctx) => allOk([ctx.launch(ctx.guest('hello'), { cmdline: 'from the emon demo' })]),
  },
  {
    title: 'block device',
    explain: 'Writes 16 blocks to a file-backed disk, reads them back, and checks bad I/O is refused.',
    run: (ctx) =>
      allOk([ctx.launch(ctx.guest('blk'), { attachments: new Map([['block', new Map([['storage', `${path.join(ctx.tmp, 'disk.img')},size=64K`]])]]) })]),
  },
  {
    title: 'network ping-pong',
    explain: 'Two unikernels in separate workers exchange Ethernet frames through the in-process switch.',
    run: (ctx) => {
      const net = new Map([['net', new Map([['service', 'switch:sw0']])]]);
      return allOk([ctx.launch(ctx.guest('net-pong'), { attachments: net }), ctx.launch(ctx.guest('net-ping'), { attachments: net, cmdline: '3' })]);
    },
  },
  middleboxStep,
  hostNetStep,
  {
    title: 'C guest',
    explain: 'The same ABI from C: guest/c/solo5.h compiled with clang --target=wasm32 -nostdlib.',
    run: async (ctx) => {
      if (!existsSync(path.join(buildDir, 'guests', 'hello-c.wasm'))) {
        console.log('(skipped: clang/wasm-ld were not installed when the guests were built)');
        return true;
      }
      return allOk([ctx.launch(ctx.guest('hello-c'), { cmdline: 'from C' })]);
    },
  },
  {
    title: 'timer',
    explain: 'Sleeps with solo5_yield and reads both clocks.',
    run: (ctx) => allOk([ctx.launch(ctx.guest('timer'))]),
  },
  // Enclave steps (SGX-like enclaves, runtime/enclave): platform secrets live in the demo's scratch state dir.
  {
    title: 'sealing enclave',
    explain: 'A guest asks its sealer enclave to seal a secret to a block device, then unseals it on the next boot.',
    run: async (ctx) => {
      const options = { stateDir: path.join(ctx.tmp, 'platform') };
      const attachments = new Map([
        ['block', new Map([['storage', `${path.join(ctx.tmp, 'sealed.img')},size=64K`]])],
        ['enclave', new Map([['sealer', path.join(buildDir, 'enclaves', 'sealer.wasm')]])],
      ]);
      for (let boot = 0; boot < 2; boot++) {
        const results = await runGuests([ctx.launch(ctx.guest('enclave-seal'), { attachments })], { options, timeoutS: 20 });
        if (!results.every((r) => r.status === 0)) return false;
      }
      return true;
    },
  },
  {
    title: 'local attestation',
    explain: 'Two enclaves of one guest attest each other with EREPORT and agree a key the guest never sees.',
    run: async (ctx) => {
      const enclaves = new Map([['alice', path.join(buildDir, 'enclaves', 'attest-a.wasm')], ['bob', path.join(buildDir, 'enclaves', 'attest-b.wasm')]]);
      const results = await runGuests([ctx.launch(ctx.guest('enclave-attest'), { attachments: new Map([['enclave', enclaves]]) })], {
        options: { stateDir: path.join(ctx.tmp, 'platform') },
        timeoutS: 20,
      });
      return results.every((r) => r.status === 0);
    },
  },
  storageDemoStep,
  {
    title: 'TrustZone',
    explain:
      'The same sealing guest, unchanged, on --backend=tz (its enclave runs as a TA in the secure world), then a GP TEE\n' +
      'Client API program talking to OP-TEE\'s hello-world TA by UUID (emon run --backend=tz --ta-dir=build/ta ...).',
    run: async (ctx) => {
      const options = { stateDir: path.join(ctx.tmp, 'platform'), backend: 'tz', taDir: path.join(buildDir, 'ta') };
      const attachments = new Map([
        ['block', new Map([['storage', `${path.join(ctx.tmp, 'sealed-tz.img')},size=64K`]])],
        ['enclave', new Map([['sealer', path.join(buildDir, 'enclaves', 'sealer.wasm')]])],
      ]);
      for (let boot = 0; boot < 2; boot++) {
        const results = await runGuests([ctx.launch(ctx.guest('enclave-seal'), { attachments })], { options, timeoutS: 20 });
        if (!results.every((r) => r.status === 0)) return false;
      }
      const results = await runGuests([ctx.launch(ctx.guest('tee-hello'))], { options, timeoutS: 20 });
      return results.every((r) => r.status === 0);
    },
  },
];

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the example unikernels (hello, block device, network ping-pong, timer, ...)')
    .argument('[steps...]', 'run only these steps, by title (default: all)')
    .action(async (only: string[]) => {
      const unknown = only.filter((t) => !demoSteps.some((s) => s.title === t));
      if (unknown.length > 0) {
        throw new EmonError('E_USAGE', `no demo step is called ${unknown.map((t) => `"${t}"`).join(', ')}`, {
          hint: `steps: ${demoSteps.map((s) => `"${s.title}"`).join(', ')}`,
        });
      }
      const steps = only.length === 0 ? demoSteps : demoSteps.filter((s) => only.includes(s.title));
      const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-demo-'));
      const ctx: DemoContext = {
        tmp,
        guest(name) {
          const file = path.join(buildDir, 'guests', `${name}.wasm`);
          if (!existsSync(file)) {
            throw new EmonError('E_NO_FILE', `the demo guest ${name} is not built (${file})`, { hint: 'run `npm run build` (or `npm start`, which builds first)' });
          }
          return file;
        },
        launch: (file, extra) => ({ file, memMiB: 64, attachments: new Map(), macs: new Map(), cmdline: '', ...extra }),
      };
      let failed = 0;
      try {
        for (const [i, step] of steps.entries()) {
          console.log(`\n=== ${i + 1}/${steps.length} ${step.title} ===\n${step.explain}\n`);
          const ok = await step.run(ctx);
          console.log(ok ? `--- ${step.title}: ok` : `--- ${step.title}: FAILED`);
          if (!ok) failed++;
        }
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
      console.log(failed === 0 ? `\nall ${steps.length} demo steps ran.` : `\n${failed} demo step(s) failed.`);
      process.exitCode = failed === 0 ? 0 : 1;
    });
}
