/**
 * Specialises the gate per EDL function at load time, the host-side counterpart of sgx_edger8r's generated
 * bridges (Intel SGX SDK, "Edger8r Tool"): for each ECALL and OCALL a JavaScript function is generated with the
 * frame offsets, element sizes, directions and checks of that one function unrolled, so a call runs without
 * loops over descriptors or any allocation (only locals). All checks precede the first write into the
 * destination memory, so a rejected call leaves the enclave (or the guest) untouched.
 */
import { EINVAL, ELOST, ENOTALLOWED, OK, SLOT } from './abi.js';
import { elementSize, scalarOf, wasmTypeOf, type EdlFunction, type EdlParam, type SizeExpr, returnsValue } from './edl/types.js';
import { deepChecks, deepCopyIn, deepCopyOut, type PlacedBuffer } from './gate-deepcopy.js';
import { sretChecks, sretCopyBack, sretPlace, sretZero, structReturnSize } from './gate-structret.js';

/** Reads parameter i of `f` from the guest frame into local a<i> (JS source). */
function readFrameScalar(p: EdlParam, i: number): string {
  const off = `fp + ${SLOT * (i + 1)}`;
  if (p.type.pointer) return `const a${i} = gdv.getUint32(${off}, true);`;
  switch (wasmTypeOf(p.type)) {
    case 'i64':
      return `const a${i} = gdv.getBigInt64(${off}, true);`;
    case 'f32':
      return `const a${i} = gdv.getFloat32(${off}, true);`;
    case 'f64':
      return `const a${i} = gdv.getFloat64(${off}, true);`;
    default:
      return `const a${i} = gdv.getInt32(${off}, true);`;
  }
}

/** A size=/count= operand as an unsigned JS number (BigInt operands may lose precision only far above the cap). */
function sizeOperand(e: SizeExpr, f: EdlFunction): string {
  if (e.kind === 'const') return String(e.value);
  const p = f.params[e.index]!;
  return wasmTypeOf(p.type) === 'i64' ? `Number(BigInt.asUintN(64, a${e.index}))` : `(a${e.index} >>> 0)`;
}

function lengthExpr(p: EdlParam, f: EdlFunction): string {
  const count = p.count ? sizeOperand(p.count, f) : '1';
  const size = p.size ? sizeOperand(p.size, f) : String(elementSize(p.type));
  return `${count} * ${size}`;
}

/** Pointers, arrays and structs passed by value (their slot holds the address of the caller's copy). */
const isBuffer = (p: EdlParam): boolean => (p.type.pointer || p.byValue === true) && p.direction !== 'user_check';
const writes = (p: EdlParam): boolean => p.direction === 'out' || p.direction === 'inout';
const reads = (p: EdlParam): boolean => p.direction === 'in' || p.direction === 'inout';

/** How generated code reads the memory buffers come from: its size, string scans ($p: the address), a DataView. */
interface SourceMemory {
  readonly size: string;
  readonly strlen: string;
  readonly wstrlen: string;
  readonly dv: string;
}
/** ECALL: the guest's memory, always directly addressable. */
const GUEST_SOURCE: SourceMemory = { size: 'g8.length', strlen: 'c.strlen(g8, $p, c.cap)', wstrlen: 'c.wstrlen(g8, $p, c.cap)', dv: 'c.gdv' };
/** OCALL: the enclave's memory, which may be paged out, so every access goes through the pager. */
const ENCLAVE_SOURCE: SourceMemory = { size: 'eSize', strlen: 'c.strlenE($p, c.cap)', wstrlen: 'c.wstrlenE($p, c.cap)', dv: 'c.edvP' };

/**
 * Checks and places every buffer parameter: `src` says how to read the source memory, `top`/`end` name the
 * destination stack. Emits locals p<i> (source address), l<i> (length), d<i> (destination).
 */
function placeBuffers(f: EdlFunction, src: SourceMemory, top: string, end: string, retval: string): string[] {
  const out: string[] = [];
  const bufs = f.params.map((p, i) => ({ p, i })).filter(({ p }) => isBuffer(p));
  for (const { p, i } of bufs) {
    out.push(`const p${i} = a${i} >>> 0; let l${i} = 0;`);
    if (p.isString) {
      const scan = p.isWide ? src.wstrlen : src.strlen;
      out.push(`if (p${i} !== 0) { l${i} = ${scan.replace('$p', `p${i}`)}; if (l${i} < 0) return c.reject('E_GATE_STRING', name, '${p.name}', p${i}, -1); }`);
    } else {
      // NULL passes through (the callee must check, as in SGX) only when it stands for an empty buffer: Wasm
      // address 0 is readable memory, so a NULL with a length would make the callee read its own low memory.
      const len = lengthExpr(p, f);
      const nullCheck = p.size || p.count || p.byValue ? ` else if (${len} !== 0) return c.reject('E_GATE_NULL', name, '${p.name}', 0, ${len});` : '';
      out.push(
        `if (p${i} !== 0) { l${i} = ${len}; if (l${i} > c.cap) return c.reject('E_GATE_CAP', name, '${p.name}', p${i}, l${i}); ` +
          `if (p${i} + l${i} > ${src.size}) return c.reject('E_GATE_BOUNDS', name, '${p.name}', p${i}, l${i}); }${nullCheck}`,
      );
    }
  }
  // Deep-copied struct members join the list: placed, capped and overlap-checked like parameters.
  const deep = deepChecks(f, src.size, src.dv, writes);
  out.push(...deep.code);
  // A struct returned by value is written through a result slot, checked like an [out] buffer.
  const sret = sretChecks(f, retval, src.size);
  out.push(...sret.code);
  const placed: PlacedBuffer[] = [...bufs.map(({ p, i }) => ({ id: String(i), name: p.name, writes: writes(p) })), ...deep.bufs, ...(sret.buf ? [sret.buf] : [])];
  out.push(`const base = ${top}; let off = base;`);
  for (const { id: i } of placed) {
    out.push(i === 'R' ? sretPlace(f) : `const d${i} = p${i} === 0 ? 0 : off; off += l${i} + ((8 - (l${i} & 7)) & 7);`);
  }
  out.push(`if (off > ${end} || off - base > c.cap) return c.reject('E_GATE_CAP', name, 'all buffers', base, off - base);`);
  // Overlap: a buffer written back must not alias any other buffer of the same call (SGX edger8r refuses
  // overlapping in/out buffers for the same reason: the copy-back order would decide the result).
  for (let x = 0; x < placed.length; x++) {
    for (let y = x + 1; y < placed.length; y++) {
      const a = placed[x]!;
      const b = placed[y]!;
      if (!a.writes && !b.writes) continue;
      out.push(`if (l${a.id} !== 0 && l${b.id} !== 0 && p${a.id} < p${b.id} + l${b.id} && p${b.id} < p${a.id} + l${a.id}) return c.reject('E_GATE_OVERLAP', name, '${a.name}/${b.name}', p${a.id}, p${b.id});`);
    }
  }
  return out;
}

function argList(f: EdlFunction, dst: 'enclave' | 'guest'): string {
  const args = f.params.map((p, i) => {
    if (!isBuffer(p)) return `a${i}`;
    return dst === 'enclave' ? `d${i}` : `d${i}`;
  });
  return (structReturnSize(f) ? ['dR', ...args] : args).join(', ');
}

function storeRet(view: string, at: string, f: EdlFunction): string {
  if (!returnsValue(f) || structReturnSize(f)) return '';
  switch (scalarOf(f.ret).wasm) {
    case 'i64':
      return `${view}.setBigInt64(${at}, r, true);`;
    case 'f32':
      return `${view}.setFloat32(${at}, r, true);`;
    case 'f64':
      return `${view}.setFloat64(${at}, r, true);`;
    default:
      return `${view}.setInt32(${at}, r, true);`;
  }
}

function retSize(f: EdlFunction): number {
  if (structReturnSize(f)) return structReturnSize(f);
  return !returnsValue(f) ? 0 : scalarOf(f.ret).size <= 4 ? 4 : 8;
}

/**
 * Source of `(c, fn, name) => (fp) => status`: the ECALL gate of trusted function `f`. `c` is the GateContext,
 * `fn` the enclave's export. A context's trace sink and cost spinner are fixed when it is made, so a gate
 * without either is generated without their tests and records: smaller, it is inlined into the "emon".ecall
 * import, which took a null ECALL from 2.9x to about 2.1x the floor (the `transitions` and `fleet` suites).
 */
export function ecallSource(f: EdlFunction, nEcalls: number): string {
  return [
    'if (c.trace === null && c.spinEcall === null) {',
    ecallFunction(f, nEcalls, false),
    '}',
    ecallFunction(f, nEcalls, true),
  ].join('\n');
}

function ecallFunction(f: EdlFunction, nEcalls: number, traced: boolean): string {
  const n = f.params.length;
  const bufs = f.params.map((p, i) => ({ p, i })).filter(({ p }) => isBuffer(p));
  const L: string[] = [];
  L.push(`return function ecall_${f.name}(fp) {`);
  L.push(`if (c.lost) return ${ELOST};`);
  L.push(`if (c.depth === 0 ? ${f.isPublic ? 'false' : 'true'} : c.allowed[c.curOcall * ${nEcalls} + ${f.index}] !== 1) return ${ENOTALLOWED};`);
  L.push(`if (c.g8.length === 0) c.refreshG();`);
  L.push(`if (c.e8.length === 0 && !c.refreshE()) return ${ELOST};`);
  L.push(`const g8 = c.g8, gdv = c.gdv; fp = fp >>> 0;`);
  L.push(`if (fp + ${SLOT * (n + 1)} > g8.length) return c.reject('E_GATE_FRAME', name, 'frame', fp, ${SLOT * (n + 1)});`);
  f.params.forEach((p, i) => L.push(readFrameScalar(p, i)));
  const places = bufs.length > 0 || structReturnSize(f) > 0;
  if (structReturnSize(f)) L.push('const aR = gdv.getUint32(fp, true);');
  if (places) L.push(...placeBuffers(f, GUEST_SOURCE, 'c.msTop', 'c.msEnd', 'aR'));
  else L.push('const base = 0, off = 0;');
  for (const { p, i } of bufs) {
    if (reads(p)) L.push(`if (l${i} !== 0) c.copyIn(p${i}, d${i}, l${i});`);
    else L.push(`if (l${i} !== 0) c.e8.fill(0, d${i}, d${i} + l${i});`);
  }
  L.push(...deepCopyIn(f, 'c.copyIn', 'c.edv'));
  L.push(...sretZero(f, 'c.e8'));
  // A sink that watches entries (the observing monitor, runtime/attack/run-observed.ts) is told here, before the
  // enclave runs; the ECALL's own event is recorded at its exit. Untraced, none of it is generated.
  if (traced) {
    L.push(`const t0 = c.trace === null ? 0 : c.trace.enter === undefined ? performance.now() : c.trace.enter(name, c.track);`);
    L.push(`if (c.spinEcall !== null) c.spinEcall();`);
  }
  // Without buffers the marshalling stack does not move, so only the nesting depth is kept.
  const push = places ? 'c.msTop = off; ' : '';
  const pop = places ? 'c.msTop = base; ' : '';
  L.push(`${push}c.depth++; let r;`);
  L.push(`try { r = fn(${argList(f, 'enclave')}); } catch (err) { ${pop}c.depth--; return c.trapped(err, name); }`);
  L.push(`${pop}c.depth--;`);
  // Lost during the call (a nested ECALL trapped under one of its OCALLs): what it went on to produce is not trusted.
  L.push(`if (c.lost) return ${ELOST};`);
  L.push(`if (c.e8.length === 0 && !c.refreshE()) return ${ELOST};`);
  L.push(`if (c.g8.length === 0) c.refreshG();`);
  for (const { p, i } of bufs) if (writes(p)) L.push(`if (l${i} !== 0) c.copyOut(d${i}, p${i}, l${i});`);
  L.push(...deepCopyOut(f, 'c.copyOut', 'c.gdv', writes));
  L.push(...sretCopyBack(f, 'c.copyOut'));
  L.push(storeRet('c.gdv', 'fp', f));
  if (traced) L.push(`if (c.trace !== null) c.trace.record({ kind: 'ecall', name, track: c.track, start: t0, dur: performance.now() - t0, bytes: off - base });`);
  L.push(`return ${OK};`);
  L.push('};');
  return L.join('\n');
}

/**
 * Source of `(c, h, name, index) => (retPtr?, ...params) => status`: the OCALL gate of untrusted function `f`,
 * imported by the enclave. `h` is the guest's exported handler. A fault in the guest handler propagates (the
 * guest is ending); the flag lets the enclosing ECALL tell it apart from an enclave trap.
 */
export function ocallSource(f: EdlFunction): string {
  const bufs = f.params.map((p, i) => ({ p, i })).filter(({ p }) => isBuffer(p));
  const rs = retSize(f);
  const params = [...(rs > 0 ? ['rp'] : []), ...f.params.map((_, i) => `a${i}`)];
  const L: string[] = [];
  L.push(`return function ocall_${f.name}(${params.join(', ')}) {`);
  L.push(`if (c.lost) return ${EINVAL};`);
  L.push(`if (c.e8.length === 0 && !c.refreshE()) return ${EINVAL};`);
  L.push(`if (c.g8.length === 0) c.refreshG();`);
  // The enclave's side of an OCALL lies anywhere in its memory, outside the held marshalling area: a paged
  // enclave's pages there may be evicted, so every access goes through the pager (c.readE/writeE/strlenE/edvP).
  L.push(`const eSize = c.eSize();`);
  if (rs > 0) L.push(`rp = rp >>> 0; if (rp !== 0 && rp + ${rs} > eSize) return c.reject('E_GATE_BOUNDS', name, 'retval', rp, ${rs});`);
  L.push(...placeBuffers(f, ENCLAVE_SOURCE, 'c.scTop', 'c.scEnd', 'rp'));
  for (const { p, i } of bufs) {
    if (reads(p)) L.push(`if (l${i} !== 0) c.readE(p${i}, d${i}, l${i});`);
    else L.push(`if (l${i} !== 0) c.g8.fill(0, d${i}, d${i} + l${i});`);
  }
  L.push(...deepCopyIn(f, 'c.readE', 'c.gdv'));
  L.push(...sretZero(f, 'c.g8'));
  L.push(`const t0 = c.trace === null ? 0 : performance.now();`);
  L.push(`if (c.spinOcall !== null) c.spinOcall();`);
  L.push(`const prev = c.curOcall; c.scTop = off; c.curOcall = index; let r;`);
  L.push(`try { r = h(${argList(f, 'guest')}); } catch (err) { c.guestFault = true; throw err; } finally { c.scTop = base; c.curOcall = prev; }`);
  L.push(`if (c.e8.length === 0 && !c.refreshE()) return ${EINVAL};`);
  L.push(`if (c.g8.length === 0) c.refreshG();`);
  for (const { p, i } of bufs) if (writes(p)) L.push(`if (l${i} !== 0) c.writeE(d${i}, p${i}, l${i});`);
  L.push(...deepCopyOut(f, 'c.writeE', 'c.edvP', writes));
  L.push(...sretCopyBack(f, 'c.writeE'));
  if (rs > 0 && !structReturnSize(f)) L.push(`if (rp !== 0) { if (c.access === null) { ${storeRet('c.edv', 'rp', f)} } else { ${storeRet('c.rdv', '0', f)} c.access.write(rp, c.r8.subarray(0, ${rs})); } }`);
  L.push(`if (c.trace !== null) c.trace.record({ kind: 'ocall', name, track: c.track, start: t0, dur: performance.now() - t0, bytes: off - base });`);
  L.push(`return ${OK};`);
  L.push('};');
  return L.join('\n');
}
