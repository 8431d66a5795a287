// The late-conflict case on real data: 15 real projects whose last line,
// scipy<1.14, conflicts with the numpy the others would get (the index pages
// and wheel METADATA are in fixtures/pypi/late-conflict, see its README).
// The lock must be pip 26.2.1's and must not depend on the order of the lines.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryLogger, type PackagerError } from '../../../src/core/index.js';
import { parseCoreMetadata } from '../../../src/resolve/pypi/metadata.js';
import { parseRequirement } from '../../../src/resolve/pypi/requirement.js';
import { type ResolverSource, makeTarget, resolveRequirements } from '../../../src/resolve/pypi/resolver.js';
import { parseSimpleHtml } from '../../../src/resolve/pypi/simple-index.js';
import { glibcPlatforms } from '../../../src/resolve/pypi/wheel-tags.js';
import { rejectedPackagerError } from '../../helpers/errors.js';
import { FIXTURES } from '../../helpers/paths.js';

const DIR = path.join(FIXTURES, 'pypi/late-conflict');
const target = makeTarget({ pythonVersion: '3.11', arch: 'x86_64', platforms: glibcPlatforms('x86_64', [2, 35]), stacks: ['cflinuxfs4'] });
const LINES = readFileSync(path.join(DIR, 'requirements.txt'), 'utf8').split('\n').filter(Boolean);
const PIP_26 = readFileSync(path.join(DIR, 'pip-26.2.1.txt'), 'utf8').split('\n').filter(Boolean);

/** The fixture as an index: its real pages, and metadata from the extracted METADATA files. */
export function fixtureSource(dir = DIR): ResolverSource & { metadataReads: string[] } {
  const projects = new Set(readdirSync(path.join(dir, 'simple')));
  const metadataReads: string[] = [];
  return {
    metadataReads,
    async projectFiles(key) {
      if (!projects.has(key)) return undefined;
      const page = `https://index.example/simple/${key}/`;
      return { files: parseSimpleHtml(readFileSync(path.join(dir, 'simple', key, 'index.html'), 'utf8'), page).files, where: page };
    },
    async metadata(c) {
      metadataReads.push(c.file.filename);
      return parseCoreMetadata(readFileSync(path.join(dir, 'metadata', `${c.file.filename}.metadata`), 'utf8'));
    },
  };
}

async function lock(lines: string[], source = fixtureSource()): Promise<string[]> {
  const line = (l: string) => (LINES.includes(l) ? LINES.indexOf(l) : LINES.length) + 1;
  const requirements = lines.map((l) => ({ requirement: parseRequirement(l), source: `requirements.txt line ${line(l)}` }));
  const dists = await resolveRequirements({ requirements, target }, source, new MemoryLogger());
  return dists.map((d) => d.candidate.file.filename).sort();
}

describe('a conflicting pin on the last line (real projects, real metadata)', () => {
  it('resolves to the files pip 26.2.1 picks, reading each chosen wheel once', async () => {
    const source = fixtureSource();
    expect(await lock(LINES, source)).toEqual(PIP_26);
    expect(PIP_26).toContain('scipy-1.13.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl');
    expect(PIP_26).toContain('numpy-2.2.6-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl');
    expect(new Set(source.metadataReads).size).toBe(source.metadataReads.length);
  });

  it('gives the same lock for any order of the lines', async () => {
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(LINES, { minLength: LINES.length, maxLength: LINES.length }), async (lines) => {
        expect(await lock(lines)).toEqual(PIP_26);
      }),
      // the file's own order (the conflicting pin last) and its reverse come first
      { numRuns: 25, examples: [[LINES], [[...LINES].reverse()]] },
    );
  });

  it('names both sides and the chain when one more line makes it unsatisfiable', async () => {
    const err: PackagerError = await rejectedPackagerError(lock([...LINES, 'numpy>=2.3']));
    expect(err.code).toBe('ERESOLVE');
    expect(err.message).toMatchInlineSnapshot(`"numpy>=2.3 (requirements.txt line 16) and scipy<1.14 (requirements.txt line 15) cannot be installed together: they need conflicting versions of numpy; the index has 1.26.4, 2.0.2, 2.2.6, 2.3.5, 2.4.6"`);
    expect(err.details.conflict).toMatchInlineSnapshot(`
      [
        "numpy>=2.3 <- requirements.txt line 16",
        "numpy<1.28.0,>=1.21.6 <- scipy 1.11.1 <- scipy<1.14 (requirements.txt line 15)",
        "numpy<2.3,>=1.22.4 <- scipy 1.13.1 <- scipy<1.14 (requirements.txt line 15)",
      ]
    `);
    expect(err.details.because).toMatchInlineSnapshot(`
      [
        "Because scipy 1.13.1 requires numpy<2.3,>=1.22.4 and scipy 1.11.1 requires numpy<1.28.0,>=1.21.6, scipy<=1.13.1 requires numpy<=2.2.6.",
        "And because you require numpy>=2.3 (requirements.txt line 16) and you require scipy<1.14 (requirements.txt line 15), no set of versions satisfies your requirements.",
      ]
    `);
  });
});
