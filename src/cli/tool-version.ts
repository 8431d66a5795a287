// The packager's own version (package.json), for --tool-version and the SBOM's
// metadata.tools.
import { readFileSync } from 'node:fs';

export const TOOL_NAME = 'conda-offline-buildpack';

/** package.json's version, or `unknown` when it cannot be read. */
export function toolVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}
