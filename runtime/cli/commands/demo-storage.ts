/**
 * The `emon demo` step for secure storage (docs/storage.md): the unchanged blk unikernel runs on design 3
 * (`--block:storage=PATH,secure=sealed`) twice, then the demo plays the untrusted monitor, puts back the copy
 * of the image it took after the first run, and the third boot is refused as a rollback by the hardware
 * monotonic counter.
 */
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { runGuests } from '../../monitor/supervisor.js';
import type { DemoStep } from './demo.js';

export const storageDemoStep: DemoStep = {
  title: 'secure storage',
  explain: 'blk runs on an encrypted, hash-tree-protected block device (secure=sealed); restoring an older copy of the image is detected.',
  async run(ctx) {
    const img = path.join(ctx.tmp, 'secure.img');
    const old = path.join(ctx.tmp, 'secure-old.img');
    const options = { stateDir: path.join(ctx.tmp, 'platform') };
    const boot = (spec: string) => runGuests([ctx.launch(ctx.guest('blk'), { attachments: new Map([['block', new Map([['storage', spec]])]]) })], { options, timeoutS: 20 });
    for (const spec of [`${img},secure=sealed,size=64K`, `${img},secure=sealed`]) {
      const results = await boot(spec);
      if (!results.every((r) => r.status === 0)) return false;
      if (spec.endsWith('size=64K')) copyFileSync(img, old);
    }
    console.log('\n(the monitor now puts back the copy of the image it took after the first run)');
    copyFileSync(old, img);
    // The guest's worker refuses to start; the supervisor reports the refusal as the guest's result.
    const [result] = await boot(`${img},secure=sealed`);
    if (result === undefined || result.status === 0 || !/rollback detected/.test(result.message ?? '')) {
      console.log('the rolled-back image was accepted: rollback protection FAILED');
      return false;
    }
    console.log('emon refused to attach it; the guest never saw the old data.');
    return true;
  },
};
