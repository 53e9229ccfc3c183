/**
 * The middlebox's rule language and its compiler to the binary rule set the middlebox enclave checks, seals and
 * enforces (enclaves/middlebox/rules.ts documents the binary layout). The text form borrows iptables' first-match
 * chains: one rule a line, the first rule that matches a new flow decides; `#` starts a comment.
 *
 *   default deny|allow                        the action when no rule matches (default: deny)
 *   rate PPS [burst N]                        token-bucket rate limit on passed frames (frames per second)
 *   timeout SECONDS                           idle time after which a tracked flow is forgotten (default 60)
 *   allow|deny [in|out] tcp|udp|icmp|ip [from ADDR] [to ADDR]
 *                                             ADDR: any | A.B.C.D[/BITS][:PORT[-PORT]] | :PORT[-PORT]
 *   allow|deny [in|out] ether 0xTYPE|any      non-IPv4 frames (ARP is 0x0806)
 *   pattern "TEXT" | pattern hex:BYTES        drop frames whose payload contains it (Aho-Corasick)
 *
 * `out` is a frame from the guest, `in` one to the guest. A flow an allow rule admitted is tracked, and its
 * replies pass without a rule of their own.
 */
import { EmonError } from '../errors.js';

export const RULES_MAGIC = 0x57464d45; // "EMFW"
const HEADER = 24;
const RULE = 32;
export const MAX_RULES = 256;
export const MAX_PATTERNS = 64;

interface Endpoint {
  ip: number;
  bits: number;
  lo: number;
  hi: number;
}

const PROTOS: Record<string, number> = { ip: 0, icmp: 1, tcp: 6, udp: 17 };

function parseAddr(text: string, fail: (why: string) => never): Endpoint {
  if (text === 'any') return { ip: 0, bits: 0, lo: 0, hi: 65535 };
  const m = /^(?:(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?)?(?::(\d{1,5})(?:-(\d{1,5}))?)?$/.exec(text);
  if (m === null || text === '') fail(`"${text}" is not any, A.B.C.D[/BITS][:PORT[-PORT]] or :PORT[-PORT]`);
  const octets = [m[1], m[2], m[3], m[4]];
  let ip = 0;
  let bits = 0;
  if (m[1] !== undefined) {
    for (const o of octets) {
      const n = Number(o);
      if (n > 255) fail(`"${text}": ${o} is not an octet (0-255)`);
      ip = ip * 256 + n;
    }
    bits = m[5] === undefined ? 32 : Number(m[5]);
    if (bits > 32) fail(`"${text}": a prefix has at most 32 bits`);
  }
  const lo = m[6] === undefined ? 0 : Number(m[6]);
  const hi = m[7] === undefined ? (m[6] === undefined ? 65535 : lo) : Number(m[7]);
  if (lo > 65535 || hi > 65535 || lo > hi) fail(`"${text}": ports are 0-65535, low to high`);
  return { ip, bits, lo, hi };
}

/** Splits a line into words, keeping a "quoted string" whole. */
function words(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? `"${m[1]}"` : m[2]!));
}

/** Compiles the text form; `file` names it in errors. */
export function compileRules(text: string, file: string): Uint8Array {
  let defaultAction = 0;
  let rate = 0;
  let burst = 0;
  let timeout = 60;
  const rules: Uint8Array[] = [];
  const patterns: Uint8Array[] = [];
  text.split('\n').forEach((raw, i) => {
    const fail = (why: string): never => {
      throw new EmonError('E_MIDDLEBOX_RULES', `${file}:${i + 1}: ${why}`, { hint: 'see docs/middlebox.md for the rule language, e.g. `allow out udp to :53`' });
    };
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') return;
    const w = words(line);
    const kw = w[0]!;
    const num = (s: string | undefined, what: string, max: number): number => {
      if (s === undefined || !/^\d+$/.test(s) || Number(s) > max) fail(`${what} must be a whole number up to ${max}, got ${s ?? 'nothing'}`);
      return Number(s);
    };
    if (kw === 'default') {
      if (w.length !== 2 || (w[1] !== 'allow' && w[1] !== 'deny')) fail('write `default allow` or `default deny`');
      defaultAction = w[1] === 'allow' ? 1 : 0;
    } else if (kw === 'rate') {
      rate = num(w[1], 'the rate', 0xffffffff);
      if (w.length === 4 && w[2] === 'burst') burst = num(w[3], 'the burst', 0xffffffff);
      else if (w.length !== 2) fail('write `rate PPS` or `rate PPS burst N`');
    } else if (kw === 'timeout') {
      if (w.length !== 2) fail('write `timeout SECONDS`');
      timeout = num(w[1], 'the timeout', 0xffffffff);
    } else if (kw === 'pattern') {
      if (w.length !== 2) fail('write `pattern "TEXT"` or `pattern hex:BYTES`');
      const p = w[1]!;
      let bytes: Uint8Array;
      if (p.startsWith('"')) bytes = new TextEncoder().encode(p.slice(1, -1).replace(/\\(.)/g, '$1'));
      else if (/^hex:([0-9a-fA-F]{2})+$/.test(p)) bytes = Uint8Array.from(p.slice(4).match(/../g)!.map((h) => parseInt(h, 16)));
      else fail(`${p} is neither "TEXT" nor hex:BYTES`);
      if (bytes!.length < 1 || bytes!.length > 255) fail('a pattern has 1 to 255 bytes');
      if (patterns.length >= MAX_PATTERNS) fail(`at most ${MAX_PATTERNS} patterns`);
      patterns.push(bytes!);
    } else if (kw === 'allow' || kw === 'deny') {
      if (rules.length >= MAX_RULES) fail(`at most ${MAX_RULES} rules`);
      const r = new Uint8Array(RULE);
      const dv = new DataView(r.buffer);
      r[0] = kw === 'allow' ? 1 : 0;
      let k = 1;
      if (w[k] === 'in' || w[k] === 'out') r[1] = w[k++] === 'out' ? 1 : 2;
      const proto = w[k++];
      const src = { ip: 0, bits: 0, lo: 0, hi: 65535 };
      const dst = { ...src };
      if (proto === 'ether') {
        const t = w[k++];
        if (t === 'any') dv.setUint16(6, 0xffff, true);
        else if (t !== undefined && /^0x[0-9a-fA-F]{1,4}$/.test(t) && parseInt(t, 16) !== 0x0800 && parseInt(t, 16) !== 0) dv.setUint16(6, parseInt(t, 16), true);
        else fail(`ether takes 0xTYPE (not 0x0800, which the ip rules cover) or any, got ${t ?? 'nothing'}`);
      } else if (proto !== undefined && proto in PROTOS) {
        r[2] = PROTOS[proto]!;
        dv.setUint16(6, 0x0800, true);
        while (k < w.length) {
          const which = w[k++];
          if ((which !== 'from' && which !== 'to') || w[k] === undefined) fail(`expected from ADDR or to ADDR, got ${which}`);
          Object.assign(which === 'from' ? src : dst, parseAddr(w[k++]!, fail));
        }
      } else fail(`expected a protocol (tcp, udp, icmp, ip or ether), got ${proto ?? 'nothing'}`);
      if (k !== w.length) fail(`unexpected ${w.slice(k).join(' ')}`);
      r[3] = src.bits;
      r[4] = dst.bits;
      dv.setUint32(8, src.ip, true);
      dv.setUint32(12, dst.ip, true);
      dv.setUint16(16, src.lo, true);
      dv.setUint16(18, src.hi, true);
      dv.setUint16(20, dst.lo, true);
      dv.setUint16(22, dst.hi, true);
      rules.push(r);
    } else fail(`unknown rule "${kw}" (default, rate, timeout, allow, deny, pattern)`);
  });
  const size = HEADER + rules.length * RULE + patterns.reduce((n, p) => n + 1 + p.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, RULES_MAGIC, true);
  dv.setUint16(4, 1, true);
  out[6] = defaultAction;
  dv.setUint32(8, rate, true);
  dv.setUint32(12, burst, true);
  dv.setUint16(16, rules.length, true);
  dv.setUint16(18, patterns.length, true);
  dv.setUint32(20, timeout, true);
  let at = HEADER;
  for (const r of rules) (out.set(r, at), (at += RULE));
  for (const p of patterns) {
    out[at] = p.length;
    out.set(p, at + 1);
    at += 1 + p.length;
  }
  return out;
}
