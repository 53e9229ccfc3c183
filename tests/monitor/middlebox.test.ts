/**
 * The middlebox enclave on a NIC's path (issue 17 point 1, 3): firewall rules with connection tracking, the rate
 * limiter and the Aho-Corasick matcher enforced inside the enclave; rules provisioned sealed; malformed frames
 * dropped and counted (fast-check against a reference classifier); batching (one ECALL per batch); and a
 * trapped middlebox failing closed.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isEmonError } from '../../runtime/errors.js';
import { loadPlatform, type PlatformSecrets } from '../../runtime/hw/sgx/platform.js';
import { FROM_GUEST, Middlebox, TO_GUEST, type MiddleboxCounters } from '../../runtime/monitor/middlebox.js';
import { compileRules } from '../../runtime/monitor/middlebox-rules.js';
import { parseNetSpec } from '../../runtime/monitor/netspec.js';
import { buildDir } from '../../runtime/paths.js';
import { etherFrame, ipFrame, reverse, type Flow } from './frames.js';

const ENCLAVE = path.join(buildDir, 'enclaves', 'middlebox.wasm');
const platform = (): PlatformSecrets => loadPlatform(mkdtempSync(path.join(tmpdir(), 'emon-mb-')));

function box(rules: string, o: { batch?: number; platform?: PlatformSecrets } = {}) {
  const p = o.platform ?? platform();
  const mb = Middlebox.load(ENCLAVE, p, { batch: o.batch ?? 64 });
  mb.loadRules(mb.sealRules(compileRules(rules, 'test.rules'), 'test.rules'), 'test.rules');
  const out: Array<{ frame: Uint8Array; dir: number }> = [];
  mb.forward = (frame, dir) => out.push({ frame, dir });
  /** Pushes frames, flushes, and returns which of them passed. */
  const run = (frames: Array<[Uint8Array, number]>): boolean[] => {
    out.length = 0;
    for (const [f, d] of frames) mb.push(f, d);
    mb.flush();
    return frames.map(([f]) => out.some((o) => o.frame === f));
  };
  return { mb, run, counters: () => mb.counters() as MiddleboxCounters };
}

const dns: Flow = { proto: 'udp', src: '10.0.0.2', sport: 40000, dst: '10.0.0.3', dport: 53 };
const telnet: Flow = { proto: 'tcp', src: '10.0.0.2', sport: 40001, dst: '10.0.0.3', dport: 23 };
const web: Flow = { proto: 'tcp', src: '10.0.0.2', sport: 40002, dst: '10.0.0.9', dport: 80 };

describe('middlebox firewall', () => {
  const rules = `
    default deny
    allow ether 0x0806            # ARP
    allow out udp to 10.0.0.3:53
    allow out tcp to 10.0.0.0/24:80-443
    deny out tcp to :23
  `;

  it('passes allowed flows and their replies (connection tracking), drops the rest', () => {
    const { run, counters } = box(rules);
    const verdicts = run([
      [ipFrame(dns, 'q'), FROM_GUEST],
      [ipFrame(reverse(dns), 'a'), TO_GUEST], // reply of a tracked flow
      [ipFrame(telnet), FROM_GUEST], // denied by rule
      [ipFrame(reverse(telnet)), TO_GUEST], // unsolicited: default deny
      [ipFrame(web), FROM_GUEST], // 10.0.0.9:80 in 10.0.0.0/24, ports 80-443
      [ipFrame({ ...dns, dst: '10.0.0.4' }), FROM_GUEST], // DNS elsewhere: default deny
      [etherFrame(0x0806), TO_GUEST],
      [etherFrame(0x86dd), TO_GUEST], // IPv6: no rule
    ]);
    expect(verdicts).toEqual([true, true, false, false, true, false, true, false]);
    const c = counters();
    expect(c).toMatchObject({ frames: 8, batches: 1, passed: 4, droppedRule: 4, conntrackHits: 1, conntrackNew: 2, conntrackLive: 2 });
  });

  it('an inbound frame of an allowed flow passes only as a reply: rules match by direction', () => {
    const { run } = box(rules);
    // The same 5-tuple as the DNS query, but arriving at the guest first: no outbound rule admits it.
    expect(run([[ipFrame(dns), TO_GUEST]])).toEqual([false]);
    expect(run([[ipFrame(dns), FROM_GUEST], [ipFrame(dns), TO_GUEST]])).toEqual([true, true]);
  });

  it('the Aho-Corasick matcher drops payloads holding any pattern, across many patterns', () => {
    const pats = ['attack', 'tack2', 'hers', 'his', 'she', 'he'];
    const { run, counters } = box(`default allow\n${pats.map((p) => `pattern "${p}"`).join('\n')}\npattern hex:deadbeef`);
    const v = run([
      [ipFrame(web, 'a benign request'), FROM_GUEST],
      [ipFrame(web, 'xxattaxattackxx'), FROM_GUEST],
      [ipFrame(web, 'ushers'), FROM_GUEST],
      [ipFrame(dns, Uint8Array.from([1, 0xde, 0xad, 0xbe, 0xef])), FROM_GUEST],
      [ipFrame(dns, 'atta'), FROM_GUEST],
    ]);
    expect(v).toEqual([true, false, false, false, true]);
    expect(counters().droppedPattern).toBe(3);
  });

  it('the matcher agrees with a naive search on random payloads', () => {
    const pats = ['abc', 'bca', 'aab', 'cc'];
    const { run } = box(`default allow\n${pats.map((p) => `pattern "${p}"`).join('\n')}`);
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[abcd]{0,40}$/), { minLength: 1, maxLength: 20 }), (payloads) => {
        const v = run(payloads.map((p) => [ipFrame(web, p), FROM_GUEST]));
        expect(v).toEqual(payloads.map((p) => !pats.some((q) => p.includes(q))));
      }),
      { numRuns: 100 },
    );
  });

  it('the rate limiter passes a burst, then drops', () => {
    const { run, counters } = box('default allow\nrate 10 burst 5');
    const v = run(Array.from({ length: 20 }, () => [ipFrame(dns), FROM_GUEST] as [Uint8Array, number]));
    expect(v.filter(Boolean).length).toBe(5);
    expect(counters().droppedRate).toBe(15);
  });
});

describe('middlebox rules', () => {
  it('are refused with the line when malformed', () => {
    for (const [text, line] of [['allow udp frm x', 1], ['default allow\nallow tcp to 300.1.1.1', 2], ['pattern ""', 1], ['rate many', 1], ['allow ether 0x0800', 1]] as const) {
      let err: unknown;
      try {
        compileRules(text, 'r.rules');
      } catch (e) {
        err = e;
      }
      expect(isEmonError(err, 'E_MIDDLEBOX_RULES')).toBe(true);
      expect((err as Error).message).toContain(`r.rules:${line}:`);
    }
  });

  it('are provisioned sealed: tampered blobs and blobs of another platform are refused; without rules nothing passes', () => {
    const p = platform();
    const mb = Middlebox.load(ENCLAVE, p);
    const out: Uint8Array[] = [];
    mb.forward = (f) => out.push(f);
    mb.push(ipFrame(dns), FROM_GUEST);
    mb.flush();
    expect(out).toEqual([]);
    expect(mb.counters()!.droppedUnloaded).toBe(1);
    const blob = mb.sealRules(compileRules('default allow', 'r'), 'r');
    expect(Buffer.from(blob).includes(Buffer.from('EMFW'))).toBe(false); // the rules are not in clear
    const bad = blob.slice();
    bad[bad.length - 20]! ^= 1;
    expect(() => mb.loadRules(bad, 'tampered')).toThrow(/cannot unseal.*tampered/);
    const other = Middlebox.load(ENCLAVE, platform());
    expect(() => other.loadRules(blob, 'foreign')).toThrow(/cannot unseal/);
    expect(mb.loadRules(blob, 'r')).toBe(0);
    mb.push(ipFrame(dns), FROM_GUEST);
    mb.flush();
    expect(out.length).toBe(1);
  });

  it('a rule set the enclave did not check cannot be sealed', () => {
    const mb = Middlebox.load(ENCLAVE, platform());
    const r = compileRules('allow ip', 'r');
    r[24 + 1] = 7; // direction 7
    expect(() => mb.sealRules(r, 'r')).toThrow(/refused to seal/);
  });
});

/** Reference classifier: is this frame one the parser must refuse (RFC 791/768/9293 consistency)? */
function malformed(f: Uint8Array): boolean {
  if (f.length < 14 || f.length > 1514) return true;
  const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
  if (dv.getUint16(12) !== 0x0800) return false;
  const room = f.length - 14;
  if (room < 20 || f[14]! >> 4 !== 4) return true;
  const ihl = (f[14]! & 15) * 4;
  const total = dv.getUint16(16);
  if (ihl < 20 || ihl > room || total < ihl || total > room) return true;
  if ((dv.getUint16(20) & 0x3fff) !== 0) return true;
  const proto = f[23]!;
  const l4 = 14 + ihl;
  const l4len = total - ihl;
  if (proto === 6) return l4len < 20 || (f[l4 + 12]! >> 4) * 4 < 20 || (f[l4 + 12]! >> 4) * 4 > l4len;
  if (proto === 17) return l4len < 8 || dv.getUint16(l4 + 4) < 8 || dv.getUint16(l4 + 4) > l4len;
  return false;
}

describe('middlebox frame parser (fast-check)', () => {
  it('drops and counts exactly the malformed frames, never trapping, whatever the bytes', () => {
    const { run, counters, mb } = box('default allow');
    const valid = [ipFrame(dns, 'hello'), ipFrame(web, 'GET /'), etherFrame(0x0806)];
    const mutated = fc
      .tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(80), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(100))
      .map(([f, edits, cut]) => {
        const g = f.slice(0, Math.max(0, f.length - (cut % 3 === 0 ? cut : 0)));
        for (const [at, v] of edits) if (at < g.length) g[at] = v;
        return g;
      });
    const anyFrame = fc.oneof(mutated, fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ minLength: 1515, maxLength: 1600 }));
    let frames = 0;
    let bad = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(anyFrame, fc.constantFrom(FROM_GUEST, TO_GUEST)), { minLength: 1, maxLength: 40 }), (batch) => {
        const v = run(batch);
        batch.forEach(([f], i) => expect(v[i]).toBe(!malformed(f)));
        frames += batch.length;
        bad += batch.filter(([f]) => malformed(f)).length;
      }),
      { numRuns: 300 },
    );
    expect(mb.failed).toBeNull();
    const c = counters();
    expect(bad).toBeGreaterThan(100);
    expect(c.frames).toBe(frames);
    expect(c.droppedMalformed).toBe(bad);
    expect(c.passed).toBe(frames - bad);
  });

  it('names fragments, bad lengths and truncated headers as malformed', () => {
    const { run, counters } = box('default allow');
    const frag = ipFrame(dns);
    frag[20] = 0x20; // MF
    const bigLen = ipFrame(dns);
    bigLen[16] = 0xff;
    const shortTcp = ipFrame(web).slice(0, 14 + 20 + 10);
    shortTcp[17] = 30;
    expect(run([[frag, FROM_GUEST], [bigLen, FROM_GUEST], [shortTcp, FROM_GUEST], [new Uint8Array(2000), FROM_GUEST], [ipFrame(dns), FROM_GUEST]])).toEqual([false, false, false, false, true]);
    expect(counters().droppedMalformed).toBe(4);
  });
});

describe('middlebox batching and failure', () => {
  it('crosses into the enclave once per batch, and once per frame with batch=1', async () => {
    for (const [batch, expected] of [[8, 3], [1, 20]] as const) {
      const { mb, counters } = box('default allow', { batch });
      const out: Uint8Array[] = [];
      mb.forward = (f) => out.push(f);
      for (let i = 0; i < 20; i++) mb.push(ipFrame(dns), FROM_GUEST);
      await new Promise((r) => setImmediate(r)); // the latency bound: the partial batch goes at the end of the turn
      expect(out.length).toBe(20);
      expect(counters().batches).toBe(expected);
    }
  });

  it('fails closed when the enclave traps: no frame passes from then on, each is counted', () => {
    const { mb, run } = box('default allow');
    expect(run([[ipFrame(dns), FROM_GUEST]])).toEqual([true]);
    const ecalls = (mb as unknown as { enc: { ecalls: Array<(f: number) => number> } }).enc.ecalls;
    const filter = mb.image.iface.trusted.findIndex((f) => f.name === 'filter');
    ecalls[filter] = () => {
      throw new WebAssembly.RuntimeError('unreachable');
    };
    expect(run([[ipFrame(dns), FROM_GUEST], [ipFrame(dns), FROM_GUEST]])).toEqual([false, false]);
    expect(mb.failed).toMatch(/unreachable/);
    expect(run([[ipFrame(dns), FROM_GUEST]])).toEqual([false]);
    expect(mb.failClosedDrops).toBe(3);
    expect(mb.counters()).toBeNull();
    expect(mb.describe()).toMatch(/FAILED.*3 frames dropped/);
  });
});

describe('--net middlebox options', () => {
  it('parse beside every port-based form and are refused with a hint when incomplete', () => {
    expect(parseNetSpec('g', 'service', 'switch:sw0,middlebox=m.wasm,rules=r.sealed,batch=8')).toEqual({
      kind: 'switch', switchName: 'sw0', middlebox: { enclave: 'm.wasm', rules: 'r.sealed', batch: 8 },
    });
    expect(parseNetSpec('g', 'service', 'udp:9001:127.0.0.1:9002,middlebox=m.wasm,rules=r').middlebox?.batch).toBe(32);
    expect(parseNetSpec('g', 'service', 'user,hostfwd=tcp::8080-:80,middlebox=m.wasm,rules=r').kind).toBe('user');
    for (const bad of ['switch:sw0,middlebox=m.wasm', 'tap0,middlebox=m.wasm,rules=r', 'switch:sw0,middlebox=m,rules=r,batch=0', 'switch:sw0,middlebox=m,rules=r,batch=x']) {
      expect(() => parseNetSpec('g', 'service', bad)).toThrow(/middlebox|batch/);
    }
  });
});

describe('middlebox spliced into a NIC link', () => {
  it('carries frames both ways through the enclave; a passed frame for a full receive queue is dropped and reported', async () => {
    const { Middleboxes } = await import('../../runtime/monitor/middlebox-link.js');
    const { MessageChannel, receiveMessageOnPort } = await import('node:worker_threads');
    const { deliver } = await import('../../runtime/monitor/switch.js');
    const { createWake, RX_QUEUE_FRAMES, WAKE_DELIVERED } = await import('../../runtime/monitor/wake.js');
    const { writeFileSync } = await import('node:fs');
    const stateDir = mkdtempSync(path.join(tmpdir(), 'emon-mblink-'));
    const rules = path.join(stateDir, 'fw.sealed');
    writeFileSync(rules, Middlebox.load(ENCLAVE, loadPlatform(stateDir)).sealRules(compileRules('default deny\nallow out udp to :53', 'r'), 'r'));
    const boxes = new Middleboxes({ stateDir });
    const guestSide = new MessageChannel();
    const wake = createWake();
    const ep = { guest: 'g', device: 'nic', port: guestSide.port1, wake, handle: 3, mac: new Uint8Array([2, 0, 0, 0, 0, 1]) };
    const outer = boxes.interpose(ep, { enclave: ENCLAVE, rules, batch: 4 });
    const settle = () => new Promise((r) => setTimeout(r, 50));
    // From the guest: the DNS query passes to the network side, the telnet frame does not.
    guestSide.port2.postMessage(ipFrame(dns));
    guestSide.port2.postMessage(ipFrame(telnet));
    await settle();
    // outer.port's far end is the middlebox's; what it forwards outward is posted to outer.port.
    const out: unknown[] = [];
    for (let m = receiveMessageOnPort(outer.port); m !== undefined; m = receiveMessageOnPort(outer.port)) out.push(m.message);
    expect(out.length).toBe(1);
    // To the guest: the reply passes but the guest's queue is full, so it is dropped and counted.
    Atomics.store(wake, WAKE_DELIVERED + 3, RX_QUEUE_FRAMES);
    deliver(outer, ipFrame(reverse(dns)));
    await settle();
    const lines: string[] = [];
    boxes.report((l) => lines.push(l));
    expect(lines[0]).toMatch(/g: net "nic" middlebox: 2 of 3 frames passed .*dropped 1 by rule.*; 1 passed frames dropped, the guest's receive queue full/);
    guestSide.port1.close();
    guestSide.port2.close();
    outer.port.close();
  });
});
