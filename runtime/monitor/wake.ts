/**
 * The word a blocked guest sleeps on (Solo5's yield blocks in the tender's poll/epoll; here Atomics.wait on a
 * SharedArrayBuffer, which Node allows on any thread). Layout of the Int32Array:
 *   [0] generation: bumped (and notified) by anyone who makes the guest runnable;
 *   [1] stop: set by the supervisor to end a guest (timeout) even while it sleeps;
 *   [2 + h] frames delivered so far to the device with handle h (the net device compares it with what it read);
 *   [66 + h] frames the guest has taken so far from handle h, so a sender can see the receive queue's depth;
 *   [130 + h] frames the guest has queued for sending on handle h, [194 + h] frames the supervisor has taken off
 *   that queue, and [258 + h] frames dropped because it was full, so the guest sees its transmit queue's depth.
 */
import { MAX_DEVICES } from './abi.js';

export const WAKE_GEN = 0;
export const WAKE_STOP = 1;
export const WAKE_DELIVERED = 2;
export const WAKE_CONSUMED = WAKE_DELIVERED + MAX_DEVICES;
export const WAKE_SENT = WAKE_CONSUMED + MAX_DEVICES;
export const WAKE_TAKEN = WAKE_SENT + MAX_DEVICES;
export const WAKE_TX_DROPPED = WAKE_TAKEN + MAX_DEVICES;
export const WAKE_WORDS = WAKE_TX_DROPPED + MAX_DEVICES;

/**
 * Frames a NIC may have waiting before new ones are dropped, as a NIC's receive ring overflows when the guest
 * does not read: a guest that never reads cannot make the monitor queue frames without bound.
 */
export const RX_QUEUE_FRAMES = 256;

/**
 * Frames a NIC may have queued for sending before new ones are dropped, as a NIC's transmit ring overflows when
 * the wire is slower than the host: a guest sending as fast as it can cannot make the monitor queue frames
 * without bound.
 */
export const TX_QUEUE_FRAMES = 256;

export function createWake(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(WAKE_WORDS * 4));
}

/** True when handle h's receive queue is full (the frame should be dropped). */
export function queueFull(wake: Int32Array, handle: number): boolean {
  return ((Atomics.load(wake, WAKE_DELIVERED + handle) - Atomics.load(wake, WAKE_CONSUMED + handle)) | 0) >= RX_QUEUE_FRAMES;
}

/** Count one frame delivered to handle h and wake the guest. Called after the frame was posted to its port. */
export function signalDelivered(wake: Int32Array, handle: number): void {
  Atomics.add(wake, WAKE_DELIVERED + handle, 1);
  Atomics.add(wake, WAKE_GEN, 1);
  Atomics.notify(wake, WAKE_GEN);
}

/** Ask the guest to stop at its next hypercall or wake-up. */
export function signalStop(wake: Int32Array): void {
  Atomics.store(wake, WAKE_STOP, 1);
  Atomics.add(wake, WAKE_GEN, 1);
  Atomics.notify(wake, WAKE_GEN);
}

/** True when handle h's transmit queue is full (the frame should be dropped and counted). */
export function txQueueFull(wake: Int32Array, handle: number): boolean {
  return ((Atomics.load(wake, WAKE_SENT + handle) - Atomics.load(wake, WAKE_TAKEN + handle)) | 0) >= TX_QUEUE_FRAMES;
}

/** The supervisor took one frame of handle h's transmit queue (before forwarding it). */
export function signalTaken(wake: Int32Array, handle: number): void {
  Atomics.add(wake, WAKE_TAKEN + handle, 1);
}

/** Frames handle h queued for sending that the supervisor has not taken off its port yet. */
export function txPending(wake: Int32Array, handle: number): number {
  return (Atomics.load(wake, WAKE_SENT + handle) - Atomics.load(wake, WAKE_TAKEN + handle)) | 0;
}

/** Frames handle h queued for sending and dropped (transmit queue full), as the counters stand now. */
export function txCounts(wake: Int32Array, handle: number): { sent: number; dropped: number } {
  return { sent: Atomics.load(wake, WAKE_SENT + handle) >>> 0, dropped: Atomics.load(wake, WAKE_TX_DROPPED + handle) >>> 0 };
}
