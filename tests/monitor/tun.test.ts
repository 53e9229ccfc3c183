/**
 * The TAP addon's edge (runtime/native/tun.c through runtime/monitor/tun.ts): spans outside the buffer it is
 * given are refused with -EFAULT before any syscall, names the kernel would rewrite or that do not fit are
 * refused with -EINVAL before TUNSETIFF, and nothing here creates an interface. Needs the built addon and
 * /dev/net/tun; says it was skipped otherwise.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { constants as osc } from 'node:os';
import { isEmonError } from '../../runtime/errors.js';
import { openTap, TUN_ADDON_PATH, tunAddon } from '../../runtime/monitor/tun.js';
import { helperTun } from '../../runtime/monitor/tap-helper.js';
import { buildTunHelper, TUN_HELPER } from '../../bench/netns.js';

const why = process.platform !== 'linux' ? 'not Linux' : !existsSync(TUN_ADDON_PATH) ? 'the TAP addon is not built (clang)' : !existsSync('/dev/net/tun') ? 'no /dev/net/tun' : null;
const t = (title: string) => (why === null ? title : `${title} -- SKIPPED: ${why}`);

describe('TAP addon edge', () => {
  it.skipIf(why !== null)(t('read/write refuse any span outside the buffer with -EFAULT'), () => {
    const tun = tunAddon();
    const fd = tun.openTun();
    expect(fd).toBeGreaterThanOrEqual(0);
    try {
      const buf = new Uint8Array(64);
      fc.assert(
        fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (off, len) => {
          fc.pre(off < 0 || len < 0 || off + len > buf.length);
          expect(tun.read(fd, buf, off, len)).toBe(-osc.errno.EFAULT);
          expect(tun.write(fd, buf, off, len)).toBe(-osc.errno.EFAULT);
        }),
        { numRuns: 500 },
      );
      // Not a Uint8Array at all.
      expect(tun.read(fd, new Int32Array(4) as unknown as Uint8Array, 0, 4)).toBe(-osc.errno.EFAULT);
      // In range but the descriptor is attached to nothing: the kernel's answer, not a crash.
      expect(tun.read(fd, buf, 0, 64)).toBeLessThan(0);
      expect(tun.poll(Int32Array.of(fd), 0)).toBe(1);
    } finally {
      tun.close(fd);
    }
  });

  it.skipIf(why !== null)(t('attachTap refuses names with %, empty or over 15 bytes before TUNSETIFF'), () => {
    const tun = tunAddon();
    const fd = tun.openTun();
    try {
      for (const name of ['', 'tap%d', 'a-name-of-16-chr']) expect(tun.attachTap(fd, name)).toBe(-osc.errno.EINVAL);
    } finally {
      tun.close(fd);
    }
  });

  const whyHelper = why ?? buildTunHelper();
  it.skipIf(whyHelper !== null)(`the TUNSETIFF-only helper's edge matches the addon's: bad spans -EFAULT, bad names -EINVAL, an empty TAP -EAGAIN${whyHelper === null ? '' : ` -- SKIPPED: ${whyHelper}`}`, () => {
    const tun = helperTun(TUN_HELPER);
    const fd = tun.openTun();
    expect(fd).toBeGreaterThanOrEqual(0);
    try {
      const buf = new Uint8Array(64);
      fc.assert(
        fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (off, len) => {
          fc.pre(off < 0 || len < 0 || off + len > buf.length);
          expect(tun.read(fd, buf, off, len)).toBe(-osc.errno.EFAULT);
          expect(tun.write(fd, buf, off, len)).toBe(-osc.errno.EFAULT);
        }),
        { numRuns: 200 },
      );
      for (const name of ['', 'tap%d', 'a-name-of-16-chr', '../x']) expect(tun.attachTap(fd, name)).toBe(-osc.errno.EINVAL);
      expect(tun.ifIndex('lo')).toBeGreaterThan(0);
      expect(tun.ifIndex('emon-none0')).toBe(0);
      // Unattached: the kernel's answer (EBADFD), reported by poll as ready-with-error, as poll(2) does.
      expect(tun.poll(Int32Array.of(fd), 0)).toBe(1);
      expect(tun.read(fd, buf, 0, 64)).toBeLessThan(0);
    } finally {
      tun.close(fd);
    }
    expect(existsSync('/sys/class/net/emon-none0')).toBe(false);
  });

  it('openTap refuses a missing interface by name and never creates it', () => {
    let err: unknown;
    try {
      openTap('g', 'service', 'emon-none0');
    } catch (e) {
      err = e;
    }
    expect(isEmonError(err, 'E_NET')).toBe(true);
    expect((err as Error).message).toMatch(/there is no host interface "emon-none0"/);
    expect(existsSync('/sys/class/net/emon-none0')).toBe(false);
  });
});
