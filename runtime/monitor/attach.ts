/**
 * Matching the command line's `--KIND:NAME=VALUE` attachments against the manifest, as Solo5's tender does
 * before it starts a unikernel: every declared device must be attached, nothing undeclared may be, each with
 * the option kind of its type. Attachments of an extension's kind (e.g. `--enclave:`) are left to it.
 */
import { EmonError } from '../errors.js';
import type { DeviceModule } from './device.js';
import type { MonitorExtension } from './extension.js';
import type { Manifest } from './manifest.js';
import { SOLO5_IMPORT_MODULE } from './abi.js';

/** kind -> device name -> value. */
export type Attachments = ReadonlyMap<string, ReadonlyMap<string, string>>;

export function checkAttachments(
  guest: string,
  manifest: Manifest,
  attachments: Attachments,
  devices: readonly DeviceModule[],
  extensions: readonly MonitorExtension[],
): void {
  const kindOfType = new Map(devices.map((d) => [d.deviceType as string, d.optionKind]));
  for (const [kind, byName] of attachments) {
    const device = devices.find((d) => d.optionKind === kind);
    if (device === undefined) {
      if (extensions.some((e) => e.attachmentKind === kind)) continue;
      const known = [...devices.map((d) => d.optionKind), ...extensions.flatMap((e) => (e.attachmentKind ? [e.attachmentKind] : []))];
      throw new EmonError('E_USAGE', `unknown attachment kind --${kind}: for guest ${guest}`, { hint: `known kinds: ${known.map((k) => `--${k}:NAME=...`).join(', ')}` });
    }
    for (const [name, value] of byName) {
      const decl = manifest.devices.find((d) => d.name === name);
      if (decl === undefined) {
        throw new EmonError('E_ATTACH', `--${kind}:${name}=${value} attaches a device that guest ${guest} does not declare`, {
          hint: `declared devices: ${manifest.devices.map((d) => `${d.name} (${d.type})`).join(', ') || 'none'}; see \`emon inspect\``,
        });
      }
      if (decl.type !== device.deviceType) {
        throw new EmonError('E_ATTACH', `--${kind}:${name}= attaches ${decl.type} device "${name}" of guest ${guest} as ${device.deviceType}`, {
          hint: `attach it with --${kindOfType.get(decl.type)}:${name}=...`,
        });
      }
      device.prepare(guest, name, value);
    }
  }
  for (const decl of manifest.devices) {
    const kind = kindOfType.get(decl.type)!;
    // A block device may instead be assigned to the TrustZone secure world (--secure:NAME=block:PATH).
    const secure = decl.type === 'BLOCK_BASIC' && attachments.get('secure')?.get(decl.name)?.startsWith('block:') === true;
    if (secure && attachments.get(kind)?.has(decl.name)) {
      throw new EmonError('E_ATTACH', `guest ${guest}: block device "${decl.name}" is given both to the guest (--${kind}:) and to the secure world (--secure:)`, {
        hint: 'give it to one of them',
      });
    }
    if (!secure && !attachments.get(kind)?.has(decl.name)) {
      throw new EmonError('E_ATTACH', `guest ${guest} declares ${decl.type} device "${decl.name}" but it is not attached`, {
        hint: `add --${kind}:${decl.name}=${kind === 'block' ? 'PATH' : 'IFACE'} before the guest file`,
      });
    }
  }
}

/**
 * The extensions of ./extensions.ts, loaded only for a guest that can use one: one importing a module other
 * than "solo5" (and the modules the caller serves itself, `served`: a fleet's scheduler serves the
 * "emon_sched" module of Asyncify-rewritten guests), taking an attachment no device takes, or whose manifest
 * has keys beyond Solo5's. Extensions pull in large modules (the enclave service loads binaryen), and a plain
 * unikernel should not pay for that at every start.
 */
export async function extensionsFor(
  module: WebAssembly.Module,
  manifest: Manifest,
  attachments: Attachments,
  devices: readonly DeviceModule[],
  served: readonly string[] = [SOLO5_IMPORT_MODULE],
): Promise<readonly MonitorExtension[]> {
  return needsExtensions(module, manifest, attachments, devices, served) ? (await import('./extensions.js')).extensions : [];
}

/** Whether extensionsFor would load the extensions for this guest. */
export function needsExtensions(
  module: WebAssembly.Module,
  manifest: Manifest,
  attachments: Attachments,
  devices: readonly DeviceModule[],
  served: readonly string[] = [SOLO5_IMPORT_MODULE],
): boolean {
  return (
    WebAssembly.Module.imports(module).some((i) => !served.includes(i.module)) ||
    [...attachments.keys()].some((kind) => !devices.some((d) => d.optionKind === kind)) ||
    Object.keys(manifest.raw).some((k) => k !== 'type' && k !== 'version' && k !== 'devices')
  );
}
