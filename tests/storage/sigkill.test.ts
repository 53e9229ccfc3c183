/**
 * Crash consistency under SIGKILL: a dedicated child process (fixtures/crash-child.mjs, the store code of dist/)
 * runs a write-heavy workload on design 3 or design 2 and is killed with SIGKILL at a random instant, then the
 * store is reopened and must hold exactly the state after some write k, with k at or after the last flush the
 * child acknowledged. The same image and platform state live on across kills, so each kill also tests recovery
 * from the previous one. KILLS (default 1000, env EMON_CRASH_KILLS) are spread over four lanes run side by side,
 * two per design; a fifth of the kills fall at a random time since spawn (often during start or open), the rest
 * at a random time after the store is open.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { WasmCrypto } from '../../runtime/hw/crypto/index.js';
import { loadPlatform } from '../../runtime/hw/sgx/platform.js';
import { FileBacking } from '../../runtime/monitor/devices/file-backing.js';
import { SealedStore } from '../../runtime/storage/sealed.js';
import { root } from '../cli/helpers.js';
import { scratchDir } from './helpers.js';

const KILLS = Number(process.env['EMON_CRASH_KILLS'] ?? 1000);
const LANES = 4;
const BLOCKS = 24;
const BS = 512;
const child = path.join(__dirname, 'fixtures', 'crash-child.mjs');
const dist = path.join(root, 'dist');
const tmp = scratchDir('kill');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const crypto = WasmCrypto.create();

interface Life {
  acked: number;
  opened: boolean;
}

function live(state: string, image: string, design: string, first: number): Promise<Life> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dist, state, image, design, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let opened = false;
    let timer: NodeJS.Timeout | undefined;
    const kill = () => p.kill('SIGKILL');
    if (Math.random() < 0.2) timer = setTimeout(kill, Math.random() * 400);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!opened && out.includes('open\n')) {
        opened = true;
        if (timer === undefined) timer = setTimeout(kill, Math.random() * 30);
      }
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`crash child ended with ${code ?? signal}: ${err}`));
      const acks = [...out.matchAll(/ack (\d+)\n/g)].map((m) => Number(m[1]));
      resolve({ acked: acks.length ? acks[acks.length - 1]! : first - 1, opened });
    });
  });
}

/** Reopens the store and returns k such that it holds exactly the state after write k (throws if none). */
function recovered(state: string, image: string): number {
  const s = SealedStore.open(FileBacking.open(image, false), { platform: loadPlatform(state), stateDir: state, readOnly: true, crypto });
  try {
    const blocks: number[] = [];
    const buf = new Uint8Array(BS);
    for (let b = 0; b < BLOCKS; b++) {
      s.read(b, buf);
      const dv = new DataView(buf.buffer);
      const i = dv.getUint32(0, true);
      for (let o = 0; o < BS; o += 8) {
        if (dv.getUint32(o, true) !== i || dv.getUint32(o + 4, true) !== (i === 0 ? 0 : (o ^ (i * 2654435761)) >>> 0)) throw new Error(`block ${b} is torn or mixed (write ${i})`);
      }
      if (i !== 0 && i % BLOCKS !== b) throw new Error(`block ${b} holds write ${i}, meant for block ${i % BLOCKS}`);
      blocks.push(i);
    }
    const k = Math.max(...blocks);
    // Exactly the state after write k: every block holds its latest write at or before k.
    for (let b = 0; b < BLOCKS; b++) {
      let want = k - ((((k - b) % BLOCKS) + BLOCKS) % BLOCKS);
      if (want < 1) want = 0;
      if (blocks[b] !== want) throw new Error(`block ${b} holds write ${blocks[b]}, the state after write ${k} has ${want}`);
    }
    return k;
  } finally {
    s.close();
  }
}

describe('SIGKILL at random instants of a write-heavy workload', () => {
  it(`${KILLS} kills over designs 3 and 2: every reopen is exactly a state at or after the last acknowledged flush`, async () => {
    let kills = 0;
    let duringWork = 0;
    const lane = async (n: number): Promise<void> => {
      const design = n % 2 === 0 ? 'sealed' : 'epc';
      const state = path.join(tmp, `st${n}`);
      const image = path.join(tmp, `img${n}`);
      let next = 1;
      let created = false;
      while (kills < KILLS) {
        kills++;
        const life = await live(state, image, design, next);
        if (life.opened) {
          duringWork++;
          created = true;
        }
        if (!created) continue; // killed before the first store existed
        const k = recovered(state, image);
        expect(k, `${design}: write ${life.acked} was acknowledged, the store came back at ${k}`).toBeGreaterThanOrEqual(life.acked);
        expect(k).toBeLessThanOrEqual(life.acked + 3);
        next = k + 1;
      }
    };
    await Promise.all(Array.from({ length: LANES }, (_, n) => lane(n)));
    console.log(`sigkill: ${kills} kills, ${duringWork} after the store was open`);
    expect(kills).toBeGreaterThanOrEqual(KILLS);
  }, 600_000);
});
