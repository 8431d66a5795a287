// A throwaway buildpack root (staging scripts from this repo + a manifest the
// test writes) for driving bin/package end to end against a loopback origin.
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

export const INCLUDE_FILES = `include_files:
- README.md
- VERSION
- manifest.yml
- bin/compile
- bin/detect
- bin/finalize
- bin/release
- bin/supply
- bin/lib/
- bin/shim/
`;

/** Makes a buildpack root with `manifest` as its manifest.yml. */
export async function makeBuildpackRoot(manifest: string, files: Record<string, string> = {}): Promise<string> {
  const dir = await tempDir('bp-root-');
  await cp(path.join(ROOT, 'bin'), path.join(dir, 'bin'), { recursive: true });
  await writeFile(path.join(dir, 'VERSION'), '1.2.3\n');
  await writeFile(path.join(dir, 'README.md'), 'test buildpack\n');
  await writeFile(path.join(dir, 'manifest.yml'), manifest);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  return dir;
}
