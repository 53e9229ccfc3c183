/**
 * A middlebox enclave on a real guest's NIC (`--net:service=switch:sw0,middlebox=...,rules=...`): the example
 * ping and pong guests talk through it when its sealed rules allow them, and a deny-all rule set cuts the flow
 * while the guests keep running; the counters come from the enclave. A rule file sealed on another platform
 * stops the run before any guest starts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPlatform } from '../../runtime/hw/sgx/platform.js';
import { Middlebox } from '../../runtime/monitor/middlebox.js';
import { compileRules } from '../../runtime/monitor/middlebox-rules.js';
import { runGuests, type GuestLaunch } from '../../runtime/monitor/supervisor.js';
import { buildDir } from '../../runtime/paths.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-mbrun-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const stateDir = path.join(tmp, 'platform');
const ENCLAVE = path.join(buildDir, 'enclaves', 'middlebox.wasm');

function sealed(name: string, rules: string, dir = stateDir): string {
  const file = path.join(tmp, `${name}.sealed`);
  writeFileSync(file, Middlebox.load(ENCLAVE, loadPlatform(dir)).sealRules(compileRules(rules, name), name));
  return file;
}

function launch(guest: string, net: string, cmdline = ''): GuestLaunch {
  return { file: path.join(buildDir, 'guests', `${guest}.wasm`), memMiB: 16, attachments: new Map([['net', new Map([['service', net]])]]), macs: new Map(), cmdline };
}

describe('middlebox on a guest NIC', () => {
  it('passes the flow its rules allow, in both directions, and reports the enclave counters', async () => {
    const rules = sealed('allow', 'default deny\nallow ether 0x88b5');
    const lines: string[] = [];
    const results = await runGuests(
      [launch('net-pong', `switch:sw0,middlebox=${ENCLAVE},rules=${rules},batch=4`), launch('net-ping', 'switch:sw0', '3')],
      { options: { stateDir }, timeoutS: 20, console: 'null', log: (l) => lines.push(l) },
    );
    expect(results.map((r) => r.status)).toEqual([0, 0]);
    // 3 pings in, 3 pongs out, and the final "quit" in.
    expect(lines.join('\n')).toMatch(/net-pong: net "service" middlebox: 7 of 7 frames passed in \d+ batches; dropped 0 by rule/);
  });

  it('carries more frames than one transmit queue holds: the guest behind it is not cut off after 256 sends', async () => {
    // Each pong waits for its ping, so the guest's transmit queue never holds more than one frame; the queue must
    // still be emptied as the middlebox takes frames, or the 257th pong and every later one is dropped.
    const rules = sealed('allow-many', 'default deny\nallow ether 0x88b5');
    const lines: string[] = [];
    const results = await runGuests(
      [launch('net-pong', `switch:sw3,middlebox=${ENCLAVE},rules=${rules},batch=1`), launch('net-ping', 'switch:sw3', '300')],
      { options: { stateDir }, timeoutS: 60, console: 'null', log: (l) => lines.push(l), verbose: true },
    );
    expect(results.map((r) => r.status), lines.join('\n')).toEqual([0, 0]);
    expect(lines.join('\n')).toMatch(/net-pong: net "service": 300 frames sent, 0 dropped/);
  }, 90000);

  it('drops a flow its rules deny; the guest keeps running and sees nothing', async () => {
    const rules = sealed('deny', 'default deny');
    const lines: string[] = [];
    const results = await runGuests(
      [launch('net-pong', 'switch:sw1'), launch('net-ping', `switch:sw1,middlebox=${ENCLAVE},rules=${rules},batch=1`, '1')],
      { options: { stateDir }, timeoutS: 5, console: 'null', log: (l) => lines.push(l) },
    );
    expect(results.map((r) => [r.name, r.reason])).toEqual([['net-pong', 'timeout'], ['net-ping', 'return']]);
    expect(results[1]!.status).toBe(1); // "no answer to ping 0 within 2 s"
    expect(lines.join('\n')).toMatch(/net-ping: net "service" middlebox: 0 of 1 frames passed in 1 batches; dropped 1 by rule/);
  });

  it('refuses rules sealed on another platform before any guest starts', async () => {
    const foreign = sealed('foreign', 'default allow', path.join(tmp, 'other-platform'));
    await expect(
      runGuests([launch('net-pong', `switch:sw2,middlebox=${ENCLAVE},rules=${foreign}`)], { options: { stateDir }, timeoutS: 5, console: 'null', log: () => {} }),
    ).rejects.toThrow(/net "service" of guest net-pong: the middlebox enclave cannot unseal the rules/);
  });
});
