// docs/ARCHITECTURE.md's import directions are enforced by the lint config
// (eslint.config.js, no-restricted-imports per folder of src/); these cases
// pin that the rule fires on a wrong direction and stays quiet on a right one.
import { ESLint } from 'eslint';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';

const eslint = new ESLint({ cwd: ROOT });

async function restricted(file: string, from: string): Promise<string[]> {
  const [r] = await eslint.lintText(`import { x } from '${from}';\nexport const y = x;\n`, { filePath: path.join(ROOT, file) });
  return r!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the import directions of docs/ARCHITECTURE.md', () => {
  it('refuses an import against the direction, naming what the folder may import', async () => {
    expect(await restricted('src/fetch/probe.ts', '../bundle/layout.js')).toEqual([expect.stringContaining('src/fetch/ may import only core')]);
    expect(await restricted('src/resolve/pypi/probe.ts', '../../fetch/index.js')).toHaveLength(1);
    expect(await restricted('src/resolve/pypi/probe.ts', '../conda/match-spec.js')).toHaveLength(1);
    expect(await restricted('src/core/probe.ts', '../manifest/index.js')).toEqual([expect.stringContaining('nothing of ours')]);
    expect(await restricted('src/mirror/probe.ts', '../cli/run.js')).toHaveLength(1);
  });

  it('allows the imports the map allows', async () => {
    expect(await restricted('src/bundle/probe.ts', '../fetch/index.js')).toEqual([]);
    expect(await restricted('src/resolve/conda/probe.ts', '../../manifest/index.js')).toEqual([]);
    expect(await restricted('src/cli/probe.ts', '../resolve/pypi/index.js')).toEqual([]);
    expect(await restricted('src/resolve/conda/probe.ts', './match-spec.js')).toEqual([]);
  });
});
