/**
 * Splicing a middlebox enclave (./middlebox.ts) into a guest NIC's link, `--net:NAME=SPEC,middlebox=ENCLAVE.wasm,
 * rules=RULES.sealed[,batch=N]`: the switch, tunnel or passt link is given a stand-in endpoint, and every frame
 * between it and the guest's own endpoint goes through the enclave, both ways, the way a bump-in-the-wire
 * appliance sits between a host and its switch port. Runs on the supervisor's main thread.
 */
import { MessageChannel } from 'node:worker_threads';
import { EmonError } from '../errors.js';
import { defaultStateDir, loadPlatform } from '../hw/sgx/platform.js';
import { FROM_GUEST, Middlebox, TO_GUEST } from './middlebox.js';
import type { MiddleboxSpec } from './netspec.js';
import { deliver, type Endpoint } from './switch.js';
import { createWake, signalTaken, WAKE_CONSUMED } from './wake.js';

export class Middleboxes {
  /** queueDrops: frames the enclave passed to a guest whose receive queue was full (dropped, as a NIC ring overflows). */
  private readonly boxes: { readonly ep: Endpoint; readonly mb: Middlebox; queueDrops: number }[] = [];

  constructor(private readonly options: Readonly<Record<string, unknown>>) {}

  /**
   * Loads the middlebox for `ep`, installs its sealed rules, and returns the endpoint the network side (switch,
   * tunnel, passt) must use instead of `ep`.
   */
  interpose(ep: Endpoint, spec: MiddleboxSpec): Endpoint {
    const stateDir = typeof this.options['stateDir'] === 'string' ? this.options['stateDir'] : defaultStateDir();
    const mb = Middlebox.load(spec.enclave, loadPlatform(stateDir), {
      batch: spec.batch,
      emulateCost: this.options['emulateCost'] === true,
      where: `${ep.guest}/${ep.device}`,
    });
    try {
      mb.loadRulesFile(spec.rules);
    } catch (e) {
      if (e instanceof EmonError) throw new EmonError(e.code, `net "${ep.device}" of guest ${ep.guest}: ${e.message}`, { hint: e.hint ?? '' });
      throw e;
    }
    const { port1, port2 } = new MessageChannel();
    // The network side delivers into the stand-in's own wake word, so its queue accounting stays its own.
    const outer: Endpoint = { ...ep, port: port1, wake: createWake() };
    const box = { ep, mb, queueDrops: 0 };
    mb.forward = (frame, dir) => {
      if (dir === FROM_GUEST) port2.postMessage(frame);
      else if (!deliver(ep, frame)) box.queueDrops++;
    };
    ep.port.on('message', (frame: unknown) => {
      // Taken off the guest's transmit queue, as the switch and tunnels count it: without this the queue looks
      // full after TX_QUEUE_FRAMES frames and every later net_write is dropped.
      signalTaken(ep.wake, ep.handle);
      if (frame instanceof Uint8Array) mb.push(frame, FROM_GUEST);
    });
    port2.on('message', (frame: unknown) => {
      Atomics.add(outer.wake, WAKE_CONSUMED + outer.handle, 1);
      if (frame instanceof Uint8Array) mb.push(frame, TO_GUEST);
    });
    this.boxes.push(box);
    return outer;
  }

  /** Flushes what is queued and reports each middlebox's counters (read through the enclave). */
  report(log: (line: string) => void): void {
    for (const { ep, mb, queueDrops } of this.boxes) {
      mb.flush();
      const full = queueDrops > 0 ? `; ${queueDrops} passed frames dropped, the guest's receive queue full` : '';
      log(`emon: ${ep.guest}: net "${ep.device}" ${mb.describe()}${full}`);
    }
  }

  get all(): readonly Middlebox[] {
    return this.boxes.map((b) => b.mb);
  }
}
