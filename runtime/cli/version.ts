/**
 * What `emon --version` prints: the package version and the commit emon was built from, read from the
 * record the build writes (runtime/build/steps/00-build-info.ts: dist/build-info.json). Outside a build or a
 * git checkout the commit is "unknown". Only node:fs, so answering --version loads nothing else.
 */
import { readFileSync } from 'node:fs';

export interface BuildInfo {
  readonly version: string;
  readonly commit: string;
}

/** dist/build-info.json, next to dist/runtime/. */
export const BUILD_INFO_URL = new URL('../../build-info.json', import.meta.url);

export function buildInfo(): BuildInfo {
  try {
    const info = JSON.parse(readFileSync(BUILD_INFO_URL, 'utf8')) as Partial<BuildInfo>;
    return { version: typeof info.version === 'string' ? info.version : 'unknown', commit: typeof info.commit === 'string' ? info.commit : 'unknown' };
  } catch {
    return { version: 'unknown', commit: 'unknown' };
  }
}

export function versionLine(): string {
  const { version, commit } = buildInfo();
  return `emon ${version} (commit ${commit})`;
}
