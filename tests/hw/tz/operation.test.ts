/**
 * The memref copies of runtime/hw/tz/operation.ts keep a view of the last large source buffer per parameter (no
 * allocation per call in a client's loop): the view must never serve stale bytes, another buffer, another size,
 * or a memory that grew (a grow replaces the buffer) — each call echoes exactly what the client passed.
 */
import { describe, expect, it } from 'vitest';
import * as gp from '../../../runtime/hw/tz/gp.js';
import { CMD, HELLO, NormalWorld, secureWorld } from './world.js';

describe('large memref copies reuse their views safely', () => {
  it('same buffer with new bytes, another buffer, another size, and after the guest memory grew', () => {
    const nw = new NormalWorld();
    const w = secureWorld(nw);
    expect(w.openSession(HELLO, 0, nw.u8(), nw.dv(), 0)).toBe(gp.TEE_SUCCESS);
    const s = w.lastSession;
    const IN_A = 8192, IN_B = 20000, OUT = 40000;
    const echo = (src: number, n: number, fill: number): void => {
      nw.u8().fill(fill, src, src + n);
      nw.u8().fill(0, OUT, OUT + 4096);
      const op = nw.op(gp.paramTypes(gp.PARAM_MEMREF_INPUT, gp.PARAM_MEMREF_OUTPUT), [{ buf: src, size: n }, { buf: OUT, size: 4096 }]);
      expect(w.invoke(s, CMD.ECHO, nw.u8(), nw.dv(), op)).toBe(gp.TEE_SUCCESS);
      const out = nw.u8().subarray(OUT, OUT + 4096);
      expect(out.subarray(0, n).every((b) => b === fill), `echo of ${n} bytes of ${fill} from ${src}`).toBe(true);
      expect(out.subarray(n).every((b) => b === 0)).toBe(true);
    };
    echo(IN_A, 4096, 1);
    echo(IN_A, 4096, 2); // same buffer, new content
    echo(IN_B, 4096, 3); // another buffer
    echo(IN_B, 1000, 4); // another size
    echo(IN_B, 3000, 5);
    nw.memory.grow(1); // the old buffer is detached; the client's new views are of the new one
    echo(IN_B, 3000, 6);
    echo(IN_A, 4096, 7);
    w.shutdown();
  });
});
