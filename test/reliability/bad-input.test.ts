// The bad-input corpus (test/reliability/corpus/, described in its README):
// every file is fed to the reader it targets, through the CLI (its main in
// this process; `mirror serve` in a real one). Each must end in a clear error
// with a documented exit code, never a stack trace or an "internal error",
// never a hang (30 s per run, most take under a second), never a file outside
// the run's own output, and nothing left in TMPDIR.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { request } from '../mirror/http.js';
import { expectCleanExit } from './support/cli.js';
import {
  CORPUS,
  feedEnvironment,
  feedExport,
  feedLock,
  feedManifest,
  feedRepodata,
  feedRequirements,
  feedSimplePage,
  feedVerify,
  leftInTmp,
} from './support/corpus-run.js';
import { errorLine, record } from './support/report.js';
import { serveMirror } from './support/serve.js';

type Feed = typeof feedManifest;
interface Case {
  file: string;
  exit: number;
  /** What the user must read (stderr). */
  says: RegExp;
}

const FEEDS: Record<string, Feed> = {
  manifest: feedManifest,
  lock: feedLock,
  requirements: feedRequirements,
  environment: feedEnvironment,
  repodata: feedRepodata,
  simple: feedSimplePage,
};

const CASES: Case[] = [
  { file: 'manifest/m01-invalid-yaml.yml', exit: 1, says: /Invalid YAML in .*manifest\.yml \(line 4, column 5\): missed comma/ },
  { file: 'manifest/m02-empty.yml', exit: 1, says: /the manifest must be a YAML mapping .* but it is empty/ },
  { file: 'manifest/m03-top-level-list.yml', exit: 1, says: /the manifest must be a YAML mapping .* but it is a list/ },
  { file: 'manifest/m04-wrong-types.yml', exit: 1, says: /dependencies \(line 2, column 15\): expected a list, got a string/ },
  { file: 'manifest/m05-billion-laughs.yml', exit: 1, says: /aliases expand to more than 1000000 values/ },
  { file: 'manifest/m06-deep-nesting.yml', exit: 1, says: /nesting exceeded maxDepth/ },
  { file: 'manifest/m07-huge-values.yml', exit: 1, says: /sha256/ },
  { file: 'manifest/m08-not-utf8.yml', exit: 1, says: /is not UTF-8 text: byte 0xf6 at line 1, column 15/ },
  { file: 'manifest/m09-duplicate-keys.yml', exit: 1, says: /duplicated mapping key/ },
  { file: 'manifest/m10-bad-sha256.yml', exit: 1, says: /dependencies\[0\]\.sha256 .*line 6/ },
  { file: 'manifest/m11-bad-uri.yml', exit: 1, says: /javascript:alert\(1\)/ },
  { file: 'manifest/m12-nul-byte.yml', exit: 1, says: /Invalid YAML/ },
  { file: 'manifest/m13-unknown-tag.yml', exit: 1, says: /unknown tag/ },
  { file: 'manifest/m14-include-files-escape.yml', exit: 1, says: /include_files entry points outside the buildpack/ },
  { file: 'manifest/m15-include-files-absolute.yml', exit: 1, says: /include_files entry points outside the buildpack/ },
  { file: 'manifest/m16-pip-bad-requirement.yml', exit: 1, says: /Invalid requirement in manifest pip\.requirements\[0\]/ },
  { file: 'manifest/m17-conda-bad-spec.yml', exit: 1, says: /Invalid conda spec in conda\.specs\[0\]: numpy >=>=< 1/ },
  { file: 'manifest/m18-cf-stacks-wrong-type.yml', exit: 1, says: /cf_stacks/ },
  { file: 'manifest/m19-miniconda-bad-flavor.yml', exit: 1, says: /flavor/ },
  { file: 'manifest/m20-huge-file-list.yml', exit: 1, says: /missing\/file-000000/ },

  { file: 'lock/l01-invalid-yaml.yml', exit: 1, says: /Invalid YAML in .*manifest\.lock\.yml/ },
  { file: 'lock/l02-wrong-types.yml', exit: 1, says: /artifacts/ },
  { file: 'lock/l03-lock-version-99.yml', exit: 1, says: /unsupported lock_version: 99/ },
  { file: 'lock/l04-bad-sha256.yml', exit: 1, says: /sha256/ },
  { file: 'lock/l05-billion-laughs.yml', exit: 1, says: /aliases expand/ },
  { file: 'lock/l06-filename-traversal.yml', exit: 1, says: /escaped-l06\.whl/ },
  { file: 'lock/l07-negative-size.yml', exit: 1, says: /size/ },
  { file: 'lock/l08-unknown-kind.yml', exit: 1, says: /rootkit/ },

  { file: 'requirements/r01-bad-requirement.txt', exit: 1, says: /r01-bad-requirement\.txt.*line 1/ },
  { file: 'requirements/r02-includes-itself.txt', exit: 1, says: /Requirements file includes itself/ },
  { file: 'requirements/r03-not-utf8.txt', exit: 1, says: /r03-not-utf8\.txt is not UTF-8 text: byte 0xe9 at line 1, column 23/ },
  // legal but extreme: parsed in bounded time, then the (closed) index is what fails
  { file: 'requirements/r04-huge-line.txt', exit: 2, says: /Cannot fetch http:\/\/127\.0\.0\.1:9\/simple\/requests\// },
  { file: 'requirements/r05-bad-hash.txt', exit: 1, says: /hash/ },
  { file: 'requirements/r06-editable.txt', exit: 1, says: /-e|editable/ },
  { file: 'requirements/r07-missing-include.txt', exit: 1, says: /does-not-exist\.txt/ },
  { file: 'requirements/r08-nested-markers.txt', exit: 1, says: /r08-nested-markers\.txt line 1: .*parentheses nested more than 64 deep/ },

  { file: 'requirements/r09-undefined-marker-comparison.txt', exit: 1, says: /Marker compares "posix" ~= "linux", which is undefined/ },
  { file: 'requirements/r10-markers-nested-too-deep.txt', exit: 1, says: /r10-markers-nested-too-deep\.txt line 1: .*parentheses nested more than 64 deep/ },
  { file: 'environment/e01-not-a-mapping.yml', exit: 1, says: /e01-not-a-mapping\.yml/ },
  { file: 'environment/e02-billion-laughs.yml', exit: 1, says: /aliases expand/ },
  { file: 'environment/e03-dependencies-wrong-type.yml', exit: 1, says: /dependencies/ },
  { file: 'environment/e04-invalid-yaml.yml', exit: 1, says: /Invalid YAML in conda environment file/ },
  { file: 'environment/e05-explicit-garbage.txt', exit: 1, says: /e05-explicit-garbage\.txt/ },
  { file: 'environment/e06-conda-lock-wrong-types.yml', exit: 1, says: /e06-conda-lock-wrong-types\.yml/ },

  { file: 'repodata/d01-truncated.json', exit: 4, says: /Malformed repodata\.json: .*\/c\/noarch\/repodata\.json/ },
  { file: 'repodata/d02-wrong-types.json', exit: 4, says: /top-level "packages" is not an object: http:\/\/127\.0\.0\.1:\d+\/c\/noarch\/repodata\.json/ },
  { file: 'repodata/d03-deep-nesting.json', exit: 4, says: /Malformed repodata record: x-1-0\.tar\.bz2 is nested more than 16 levels deep: http:/ },
  // legal but extreme: a one-million-digit version is still a version
  { file: 'repodata/d04-huge-string.json', exit: 0, says: /Locked 1 conda/ },
  { file: 'repodata/d05-not-utf8.json', exit: 4, says: /Package not found in the configured channels: x/ },
  { file: 'repodata/d06-record-wrong-types.json', exit: 4, says: /Malformed repodata record: x-1-0\.tar\.bz2 lacks name, version or build/ },
  { file: 'repodata/d07-html-error-page.json', exit: 4, says: /Malformed repodata\.json/ },
  { file: 'repodata/d08-subdir-traversal.json', exit: 4, says: /x-1-0\.tar\.bz2 says subdir "\.\.\/\.\.\/\.\.\/bin" but is listed in noarch/ },

  { file: 'simple/s01-binary-garbage.html', exit: 4, says: /No project named x on the index: http:\/\/127\.0\.0\.1:\d+\/simple\/x\// },
  { file: 'simple/s02-json-wrong-types.json', exit: 4, says: /Malformed PEP 691 JSON index page: .*\/simple\/x\/: "files" is not a list/ },
  { file: 'simple/s03-deep-nesting.html', exit: 4, says: /No project named x on the index: http:\/\/127\.0\.0\.1:\d+\/simple\/x\// },
  { file: 'simple/s04-traversal-filename.html', exit: 4, says: /No version of x satisfies x .* the index has: none/ },
  {
    file: 'simple/s05-bad-hash.html',
    exit: 4,
    says: /warning: Skipped link "\.\.\/\.\.\/files\/x-1\.0-py3-none-any\.whl#sha256=zz" on index page http:\/\/127\.0\.0\.1:\d+\/simple\/x\/ \(line 1\): malformed sha256 digest "zz" for x-1\.0-py3-none-any\.whl\nerror: No project named x on the index/,
  },
  { file: 'simple/s06-json-deep.json', exit: 4, says: /Malformed PEP 691 JSON index page: .*\/simple\/x\/: files\[0\]\.filename is missing/ },
  { file: 'simple/s07-file-url-on-remote-index.html', exit: 4, says: /The index page .* points at file:\/\/.*, which is not an http\(s\) URL/ },
];

/** Zips: what `verify`, `mirror serve` and `mirror export` must each do. */
interface ZipCase {
  file: string;
  verify: { exit: number; says: RegExp };
  /** 'refuses': serve exits 1 at start; otherwise the path to fetch and what must come back. */
  serve: 'refuses' | { path: string; status: number; maxBytes: number };
  export: { exit: number; says?: RegExp };
  /** Paths (relative to the sandbox) that must not exist afterwards. */
  escapes?: string[];
}

const ESCAPES = 'escapes the buildpack root|escape';
const ZIPS: ZipCase[] = [
  { file: 'zip/z00-control.zip', verify: { exit: 0, says: /sound/ }, serve: { path: '/healthz', status: 200, maxBytes: 10 }, export: { exit: 0 } },
  { file: 'zip/z01-truncated.zip', verify: { exit: 1, says: /Not a valid zip/ }, serve: 'refuses', export: { exit: 1, says: /Not a valid zip/ } },
  { file: 'zip/z02-not-a-zip.zip', verify: { exit: 1, says: /Not a valid zip/ }, serve: 'refuses', export: { exit: 1, says: /Not a valid zip/ } },
  { file: 'zip/z03-dotdot-entry.zip', verify: { exit: 1, says: new RegExp(ESCAPES) }, serve: 'refuses', export: { exit: 1, says: /escape/ }, escapes: ['escaped-z03.txt'] },
  { file: 'zip/z04-absolute-entry.zip', verify: { exit: 1, says: new RegExp(ESCAPES) }, serve: 'refuses', export: { exit: 1, says: /escape/ }, escapes: ['/tmp/escaped-z04.txt'] },
  { file: 'zip/z05-symlink-entry.zip', verify: { exit: 1, says: /symlink/ }, serve: 'refuses', export: { exit: 1, says: /symlink/ } },
  { file: 'zip/z06-duplicate-names.zip', verify: { exit: 1, says: /appears twice/ }, serve: 'refuses', export: { exit: 1, says: /appears twice/ } },
  {
    file: 'zip/z07-bomb-honest.zip',
    verify: { exit: 1, says: /zeros-1\.0-py3-none-any\.whl/ },
    serve: { path: '/pypi/files/zeros-1.0-py3-none-any.whl', status: 200, maxBytes: 64 * 1024 * 1024 },
    export: { exit: 0 },
  },
  {
    file: 'zip/z08-bomb-lying-size.zip',
    verify: { exit: 1, says: /Cannot read pypi\/files\/zeros-1\.0-py3-none-any\.whl from the zip: too many bytes in the stream/ },
    serve: { path: '/pypi/files/zeros-1.0-py3-none-any.whl', status: 200, maxBytes: 1024 },
    export: { exit: 1, says: /Cannot read the bundle .*inflates to more than its 1024 bytes/ },
  },
  { file: 'zip/z09-backslash-entry.zip', verify: { exit: 1, says: new RegExp(ESCAPES) }, serve: 'refuses', export: { exit: 1, says: /escape/ }, escapes: ['escaped-z09.txt'] },
  { file: 'zip/z10-manifest-billion-laughs.zip', verify: { exit: 1, says: /aliases expand/ }, serve: { path: '/healthz', status: 200, maxBytes: 10 }, export: { exit: 0 } },
  {
    file: 'zip/z11-bomb-claims-5-gib.zip',
    verify: { exit: 1, says: /expand to 5368709220 bytes, more than a buildpack can be .*: a zip bomb\?/ },
    serve: { path: '/pypi/files/big-0-1.0-py3-none-any.whl', status: 200, maxBytes: 1024 },
    export: { exit: 1, says: /Cannot read the bundle .*inflates to 1024 bytes, not 1073741824/ },
  },
];

const tally = { inputs: 0, runs: 0 };
afterAll(() => console.log(`bad-input corpus: ${tally.inputs} inputs, ${tally.runs} runs, every one a clean documented failure`));

describe('the README lists every corpus file', () => {
  it('has one README row per corpus file and one case per row', async () => {
    const readme = await readFile(path.join(CORPUS, 'README.md'), 'utf8');
    const files = (await readdir(CORPUS, { recursive: true })).map(String).filter((f) => /^[a-z]+\/[a-z]\d\d-/.test(f)).sort();
    expect(files.length).toBeGreaterThanOrEqual(40);
    for (const f of files) expect(readme, `README row for ${f}`).toContain(`\`${f}\``);
    expect([...CASES.map((c) => c.file), ...ZIPS.map((z) => z.file)].sort()).toEqual(files);
  });
});

describe.concurrent('malformed and hostile inputs give a clear error', () => {
  for (const c of CASES) {
    it(`${c.file}: exits ${c.exit} with a clear message`, async () => {
      const { r, s } = await FEEDS[c.file.split('/')[0]!]!(c.file);
      record({ suite: 'bad-input', case: c.file, exit: r.code, outcome: r.code === c.exit ? 'as documented' : 'unexpected', error: errorLine(r.stderr) });
      expectCleanExit(r, c.file);
      expect(r.code, `${c.file}\n${r.stderr}`).toBe(c.exit);
      if (c.exit !== 0) expect(r.stderr, c.file).toMatch(/^error: /m);
      expect(r.stderr, c.file).toMatch(c.says);
      if (c.exit !== 0) expect(existsSync(path.join(s.dir, 'out.zip')), 'no zip after a failure').toBe(false);
      expect(await leftInTmp(s), 'left in TMPDIR').toEqual([]);
      tally.inputs++;
      tally.runs++;
    });
  }
});

describe.concurrent('malformed and hostile zips: verify, mirror serve and mirror export', () => {
  for (const z of ZIPS) {
    it(`${z.file}: verify exits ${z.verify.exit}, serve ${z.serve === 'refuses' ? 'refuses it' : 'stays bounded'}, export exits ${z.export.exit}`, async () => {
      const v = await feedVerify(z.file);
      record({ suite: 'bad-input', case: `${z.file} (verify)`, exit: v.r.code, outcome: v.r.code === z.verify.exit ? 'as documented' : 'unexpected', error: v.r.stdout.split('\n')[0] });
      expectCleanExit(v.r, `verify ${z.file}`);
      expect(v.r.code, `${z.file}\n${v.r.stdout}\n${v.r.stderr}`).toBe(z.verify.exit);
      expect(`${v.r.stdout}\n${v.r.stderr}`, z.file).toMatch(z.verify.says);

      const served = await serveMirror(path.join(CORPUS, z.file), [], { TMPDIR: v.s.tmp });
      if (z.serve === 'refuses') {
        record({ suite: 'bad-input', case: `${z.file} (serve)`, exit: served.code, outcome: served.code === 1 ? 'refused' : 'unexpected', error: errorLine(served.stderr()) });
        expect(served.url, served.stderr()).toBeUndefined();
        expect(served.code, served.stderr()).toBe(1);
        expectCleanExit({ code: served.code ?? null, signal: null, stdout: '', stderr: served.stderr() }, `serve ${z.file}`);
        expect(served.stderr()).toMatch(/^error: /m);
      } else {
        try {
          expect(served.url, served.stderr()).toBeDefined();
          const res = await request(`${served.url}${z.serve.path.slice(1)}`).catch((err: Error) => ({ status: 0, body: Buffer.alloc(0), error: err }));
          expect(res.body.length, z.file).toBeLessThanOrEqual(z.serve.maxBytes);
          if (z.serve.maxBytes > 1024) expect(res.status).toBe(z.serve.status);
          // the mirror is still up after whatever that request did
          expect((await request(`${served.url}healthz`)).status).toBe(200);
          expect(await served.rss(), 'mirror RSS').toBeLessThan(300 * 1024 * 1024);
          record({ suite: 'bad-input', case: `${z.file} (serve)`, exit: null, outcome: `served ${res.body.length} bytes, still up` });
        } finally {
          expect(await served.stop()).toBe(0);
        }
        expect(served.stderr()).not.toMatch(/internal error|^\s+at /m);
      }

      const e = await feedExport(z.file);
      record({ suite: 'bad-input', case: `${z.file} (export)`, exit: e.r.code, outcome: e.r.code === z.export.exit ? 'as documented' : 'unexpected', error: errorLine(e.r.stderr) });
      expectCleanExit(e.r, `export ${z.file}`);
      expect(e.r.code, `${z.file}\n${e.r.stderr}`).toBe(z.export.exit);
      if (z.export.says) expect(e.r.stderr).toMatch(z.export.says);
      for (const esc of z.escapes ?? []) expect(existsSync(path.isAbsolute(esc) ? esc : path.join(e.s.dir, esc)), `${esc} written outside the export`).toBe(false);
      expect(await leftInTmp(e.s)).toEqual([]);
      tally.inputs++;
      tally.runs += 3;
    });
  }
});
