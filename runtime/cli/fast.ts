/**
 * The commands `emon` answers without building the whole program (./main.ts): `run` and a plain `inspect`.
 * The build also bundles this module and what it imports into one file (runtime/build/steps/95-cli-bundle.ts,
 * dist/runtime/fast.bundle.js), because Node's ES module loader pays per module, and a unikernel monitor
 * is started often. describeError comes from here too, so errors thrown inside the bundle are recognised by
 * the same EmonError class that made them.
 */
export { describeError } from '../errors.js';
export { runCommand } from './commands/run.js';
export { inspectCommand } from './commands/inspect.js';
