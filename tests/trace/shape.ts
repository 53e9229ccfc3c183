/** Structural checks of Chrome trace event JSON, as chrome://tracing and ui.perfetto.dev require it. */
import { expect } from 'vitest';
import type { ChromeTraceEvent } from '../../runtime/trace/chrome.js';

export function checkEvent(e: ChromeTraceEvent): void {
  expect(typeof e.name).toBe('string');
  expect(['X', 'i', 'M']).toContain(e.ph);
  expect(Number.isInteger(e.pid) && Number.isInteger(e.tid)).toBe(true);
  expect(Number.isFinite(e.ts) && e.ts >= 0).toBe(true);
  if (e.ph === 'X') expect(Number.isFinite(e.dur) && e.dur! >= 0).toBe(true);
  if (e.ph === 'i') expect(e.s).toBe('t');
  if (e.ph === 'M') expect(typeof e.args?.name === 'string' || typeof e.args?.sort_index === 'number').toBe(true);
}

/** A whole trace file: the JSON Object Format with a traceEvents array of well-formed events. */
export function checkTrace(json: unknown): ChromeTraceEvent[] {
  expect(typeof json).toBe('object');
  const events = (json as { traceEvents: ChromeTraceEvent[] }).traceEvents;
  expect(Array.isArray(events)).toBe(true);
  events.forEach(checkEvent);
  return events;
}
