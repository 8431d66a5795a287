// Property-based fuzzing (fast-check) of every parser that reads text from
// outside: wheel/sdist file names, PEP 440 versions and specifiers, PEP 508
// requirements and markers, requirements files, conda MatchSpecs and version
// order, the zip layout's URL-to-path functions, credential redaction (in
// TypeScript and in the bash shim), the curl shim's command line, and simple
// pages (core's anchor scanner and its readers).
// Properties: no crash (only the parser's own typed error), round trips where
// a formatter exists, orders that are orders, paths that stay inside the zip,
// secrets that never survive redaction. Bounded time: every property also
// runs on long adversarial inputs, inside the test timeout. Seeds are fixed
// (RELIABILITY_SEED overrides) so a failure replays.
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { assertSafeEntryName, channelDirName, dependencyZipPath, pypiFilePath, urlBasename } from '../../src/bundle/layout.js';
import { escapeHtml } from '../../src/bundle/pypi-tree.js';
import { PackagerError } from '../../src/core/errors.js';
import { scanAnchors } from '../../src/core/html-anchors.js';
import { projectLinks } from '../../src/mirror/pep691.js';
import { parseSimpleHtml } from '../../src/resolve/pypi/simple-index.js';
import { redactText, redactUrl } from '../../src/core/redact.js';
import { MatchSpec } from '../../src/resolve/conda/match-spec.js';
import { compareVersions as condaCompare, VersionOrder } from '../../src/resolve/conda/version-order.js';
import { formatMarker, MarkerSyntaxError, parseMarker } from '../../src/resolve/pypi/markers.js';
import { compareVersions, formatVersion, parseSpecifierSet, parseVersion, tryParseVersion } from '../../src/resolve/pypi/pep440.js';
import { formatRequirement, parseRequirement, RequirementSyntaxError } from '../../src/resolve/pypi/requirement.js';
import { parseRequirementsFile } from '../../src/resolve/pypi/requirements-file.js';
import { FilenameError, parseSdistFilename, parseWheelFilename } from '../../src/resolve/pypi/wheel-filename.js';
import { ROOT } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { record } from './support/report.js';

const FULL = process.env.RELIABILITY_FULL === '1';
const seed = Number(process.env.RELIABILITY_SEED) || 20261123;
const RUNS = FULL ? 5000 : 400;
const opts = { numRuns: RUNS, seed };
const tally = { properties: 0, cases: 0 };
// prop() names a property's parameters (the seed above, the number of runs)
// and check() runs it with them: fc.assert alone would pick a fresh random
// seed and 100 runs, and a failure would not replay.
const paramsOf = new WeakMap<object, fc.Parameters<unknown>>();
const prop = <P extends object>(p: P, o: fc.Parameters<unknown> = opts): P => {
  tally.properties++;
  tally.cases += o.numRuns ?? RUNS;
  paramsOf.set(p, o);
  return p;
};
function check<T>(p: fc.IAsyncPropertyWithHooks<T>): Promise<void>;
function check<T>(p: fc.IPropertyWithHooks<T>): void;
function check<T>(p: fc.IAsyncPropertyWithHooks<T> | fc.IPropertyWithHooks<T>): Promise<void> | void {
  const params = paramsOf.get(p);
  if (!params) throw new Error('run properties through prop(): it sets their seed and runs');
  return fc.assert(p as fc.IPropertyWithHooks<T>, params as unknown as fc.Parameters<T>);
}

/** Runs `f`; an error must be an instance of one of `allowed` (the parser's own typed errors). */
function onlyTyped(f: () => unknown, ...allowed: (new (...a: never[]) => Error)[]): void {
  try {
    f();
  } catch (err) {
    if (!allowed.some((c) => err instanceof c)) throw new Error(`unexpected ${(err as Error)?.name}: ${(err as Error)?.message}`, { cause: err });
  }
}

// Text that exercises parsers: every ASCII character, some Unicode, and the
// characters each grammar gives meaning to, in long runs too.
const grammarChars = fc.constantFrom(...'abcXYZ019._-+!*=<>~,;:@/\\[](){}\'" \t\n#%&?$^|'.split(''), 'é', '\u0000', '\u200b', '💥');
const text = fc.oneof(fc.string({ maxLength: 80 }), fc.array(grammarChars, { maxLength: 120 }).map((a) => a.join('')), fc.string({ unit: 'binary', maxLength: 60 }));
/** Long inputs that make naive regexes or recursion go quadratic or overflow. */
const ADVERSARIAL = [
  'a'.repeat(100_000),
  '1.'.repeat(50_000),
  '('.repeat(20_000),
  '['.repeat(20_000),
  `x${'[a,'.repeat(10_000)}`,
  `${'0'.repeat(100_000)}!1`,
  `numpy${'=='.repeat(30_000)}`,
  `a${' and a'.repeat(10_000)}`,
  `https://${'u:'.repeat(20_000)}@h/${'t/'.repeat(20_000)}`,
  `${'-'.repeat(50_000)}.whl`,
];

afterAll(() => {
  console.log(`fuzzing: ${tally.properties} properties, ${tally.cases} generated cases (seed ${seed})`);
  record({ suite: 'fuzz', case: 'all', outcome: `${tally.properties} properties, ${tally.cases} cases`, seed });
});

// ---- PEP 440 ------------------------------------------------------------------

const pep440 = fc
  .record({
    epoch: fc.option(fc.nat({ max: 5 }), { nil: undefined }),
    release: fc.array(fc.nat({ max: 2000 }), { minLength: 1, maxLength: 4 }),
    pre: fc.option(fc.tuple(fc.constantFrom('a', 'b', 'rc', 'alpha', 'beta', 'c', 'pre', 'preview', 'RC'), fc.nat({ max: 20 })), { nil: undefined }),
    post: fc.option(fc.tuple(fc.constantFrom('.post', '-', 'post', '.rev', '-r'), fc.nat({ max: 20 })), { nil: undefined }),
    dev: fc.option(fc.tuple(fc.constantFrom('.dev', 'dev', '-dev'), fc.nat({ max: 20 })), { nil: undefined }),
    local: fc.option(fc.array(fc.constantFrom('ubuntu', 'abc', '1', '20', 'x7'), { minLength: 1, maxLength: 3 }), { nil: undefined }),
    v: fc.boolean(),
  })
  .map((r) => {
    let s = `${r.v ? 'v' : ''}${r.epoch !== undefined ? `${r.epoch}!` : ''}${r.release.join('.')}`;
    if (r.pre) s += `${r.pre[0]}${r.pre[1]}`;
    if (r.post) s += `${r.post[0]}${r.post[1]}`;
    if (r.dev) s += `${r.dev[0]}${r.dev[1]}`;
    if (r.local) s += `+${r.local.join('.')}`;
    return s;
  });

describe('PEP 440 versions and specifiers', () => {
  it('never throws anything but its own "Invalid PEP 440 version" on arbitrary text', () => {
    check(
      prop(
        fc.property(text, (s) => {
          const v = tryParseVersion(s);
          if (!v) expect(() => parseVersion(s)).toThrow(/^Invalid PEP 440 version/);
        }),
      ),
    );
    for (const s of ADVERSARIAL) tryParseVersion(s);
  });

  it('round-trips: the canonical text parses to an equal version, and normalising twice changes nothing', () => {
    check(
      prop(
        fc.property(pep440, (s) => {
          const v = parseVersion(s);
          const canon = formatVersion(v);
          expect(compareVersions(parseVersion(canon), v)).toBe(0);
          expect(formatVersion(parseVersion(canon))).toBe(canon);
        }),
      ),
    );
  });

  it('orders versions totally: antisymmetric and transitive', () => {
    check(
      prop(
        fc.property(pep440, pep440, pep440, (a, b, c) => {
          const [x, y, z] = [a, b, c].map(parseVersion) as [ReturnType<typeof parseVersion>, ReturnType<typeof parseVersion>, ReturnType<typeof parseVersion>];
          // antisymmetric: the two signs cancel (toBe(-sign) would tell 0 from -0)
          expect(Math.sign(compareVersions(x, y)) + Math.sign(compareVersions(y, x))).toBe(0);
          if (compareVersions(x, y) <= 0 && compareVersions(y, z) <= 0) expect(compareVersions(x, z)).toBeLessThanOrEqual(0);
        }),
      ),
    );
  });

  it('parses specifier sets or throws a plain Error, never a TypeError', () => {
    check(prop(fc.property(text, (s) => onlyTyped(() => parseSpecifierSet(s), Error))));
    check(
      prop(
        fc.property(fc.array(fc.tuple(fc.constantFrom('==', '!=', '>=', '<=', '>', '<', '~=', '==='), pep440), { maxLength: 4 }), (parts) => {
          onlyTyped(() => parseSpecifierSet(parts.map(([op, v]) => `${op}${v}`).join(',')), Error);
        }),
      ),
    );
  });
});

// ---- wheel and sdist file names (PEP 427 / 491, sdist naming) -----------------

const projectName = fc.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9._]{0,12}[A-Za-z0-9])?$/);
const tag = fc.stringMatching(/^[a-z0-9_]{1,10}(\.[a-z0-9_]{1,10}){0,2}$/);

describe('wheel and sdist file names', () => {
  it('parse or throw FilenameError on arbitrary text', () => {
    check(prop(fc.property(fc.oneof(text, text.map((s) => `${s}.whl`)), (s) => onlyTyped(() => parseWheelFilename(s), FilenameError))));
    check(prop(fc.property(text, (s) => onlyTyped(() => parseSdistFilename(s), Error))));
    for (const s of ADVERSARIAL) onlyTyped(() => parseWheelFilename(s), FilenameError);
  });

  it('round-trip name, version, build tag and every compressed tag set', () => {
    check(
      prop(
        fc.property(projectName, pep440.filter((v) => !v.includes('-') && !v.startsWith('v')), fc.option(fc.stringMatching(/^\d{1,3}[a-z]{0,3}$/), { nil: undefined }), tag, tag, tag, (name, version, build, py, abi, plat) => {
          const filename = [name, version, ...(build ? [build] : []), py, abi, plat].join('-') + '.whl';
          const w = parseWheelFilename(filename);
          expect(w.name).toBe(name);
          expect(formatVersion(w.version)).toBe(formatVersion(parseVersion(version)));
          expect(w.build?.raw).toBe(build);
          expect(w.tags.length).toBe(py.split('.').length * abi.split('.').length * plat.split('.').length);
          // a parsed wheel name is always a safe zip path under pypi/files
          assertSafeEntryName(pypiFilePath(w.filename));
        }),
      ),
    );
  });
});

// ---- PEP 508 requirements and markers ------------------------------------------

const markerVar = fc.constantFrom('python_version', 'python_full_version', 'os_name', 'sys_platform', 'platform_machine', 'implementation_name', 'platform_system', 'extra');
const markerOp = fc.constantFrom('==', '!=', '<', '<=', '>', '>=', '~=', 'in', 'not in');
const markerAtom = fc.tuple(markerVar, markerOp, fc.constantFrom('3.11', 'linux', 'x86_64', 'cpython', 'Linux', 'test', '2.7.18')).map(([v, op, lit]) => `${v} ${op} "${lit}"`);
const marker: fc.Arbitrary<string> = fc.letrec<{ m: string }>((tie) => ({
  m: fc.oneof({ depthSize: 'small', withCrossShrink: true }, markerAtom, fc.tuple(tie('m'), fc.constantFrom('and', 'or'), tie('m')).map(([a, op, b]) => `(${a} ${op} ${b})`)),
})).m;
const requirement = fc
  .record({
    name: projectName,
    extras: fc.array(fc.stringMatching(/^[a-z]([a-z0-9-]{0,7}[a-z0-9])?$/), { maxLength: 3 }),
    // PEP 440: a local version only with == and !=, ~= needs two release numbers
    spec: fc.array(
      fc.tuple(fc.constantFrom('==', '!=', '>=', '<=', '>', '<', '~='), pep440.filter((v) => !v.startsWith('v'))).map(([op, v]) => {
        if (op === '==' || op === '!=') return [op, v] as const;
        const plain = v.replace(/\+.*$/, '');
        return [op, op === '~=' && !/^(\d+!)?\d+\.\d+/.test(plain) ? `1.${plain.replace(/^\d+!/, '')}` : plain] as const;
      }),
      { maxLength: 3 },
    ),
    url: fc.option(fc.constantFrom('https://example.org/x-1.0.tar.gz', 'https://h/p/x-1.0-py3-none-any.whl#sha256=00ff'), { nil: undefined }),
    marker: fc.option(marker, { nil: undefined }),
  })
  .map((r) => {
    let s = r.name;
    if (r.extras.length) s += `[${r.extras.join(', ')}]`;
    if (r.url) s += ` @ ${r.url}`;
    else if (r.spec.length) s += ` ${r.spec.map(([op, v]) => `${op}${v}`).join(', ')}`;
    if (r.marker) s += ` ; ${r.marker}`;
    return s;
  });

describe('PEP 508 requirements and markers', () => {
  it('parse or throw RequirementSyntaxError / MarkerSyntaxError on arbitrary text', () => {
    check(prop(fc.property(text, (s) => onlyTyped(() => parseRequirement(s), RequirementSyntaxError, MarkerSyntaxError))));
    check(prop(fc.property(text, (s) => onlyTyped(() => parseMarker(s), MarkerSyntaxError))));
    for (const s of ADVERSARIAL) {
      onlyTyped(() => parseRequirement(s), RequirementSyntaxError, MarkerSyntaxError);
      onlyTyped(() => parseMarker(s), MarkerSyntaxError);
    }
  });

  it('round-trip through formatRequirement: parsing the canonical text gives the same requirement', () => {
    check(
      prop(
        fc.property(requirement, (s) => {
          const r = parseRequirement(s);
          const canon = formatRequirement(r, { marker: true });
          const again = parseRequirement(canon);
          expect(formatRequirement(again, { marker: true })).toBe(canon);
          expect(again.key).toBe(r.key);
          expect(again.extras).toEqual(r.extras);
          expect(again.url).toBe(r.url);
        }),
      ),
    );
  });

  it('round-trip markers through formatMarker', () => {
    check(
      prop(
        fc.property(marker, (s) => {
          const canon = formatMarker(parseMarker(s));
          expect(formatMarker(parseMarker(canon))).toBe(canon);
        }),
      ),
    );
  });
});

// ---- requirements files ------------------------------------------------------------

const reqLine = fc.oneof(
  requirement,
  text,
  fc.constantFrom('-r other.txt', '-c other.txt', '--index-url https://i/simple', '--extra-index-url http://x', '-f ./wheels', '--no-index', '--pre', '--require-hashes', '--prefer-binary', '--only-binary :all:', '--no-binary x', '--trusted-host h', '-e .', '--hash=sha256:' + 'a'.repeat(64), 'x==1 --hash=sha256:zz', '# comment', '\\', 'x \\', '${HOME}', '${NOPE}/y', '-i', '--unknown-option', 'x==1 ; python_version <'),
);

describe('requirements files', () => {
  it('parse to requirements or reject with a PackagerError, whatever the lines (includes too)', async () => {
    await check(
      prop(
        fc.asyncProperty(fc.array(reqLine, { maxLength: 12 }), fc.array(reqLine, { maxLength: 6 }), async (main, other) => {
          const files: Record<string, string> = { '/r/requirements.txt': main.join('\n'), '/r/other.txt': other.join('\n') };
          try {
            await parseRequirementsFile('/r/requirements.txt', {
              readText: async (p) => {
                const t = files[p];
                if (t === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
                return t;
              },
              env: { HOME: '/home/u' },
            });
          } catch (err) {
            if (!(err instanceof PackagerError)) throw err;
          }
        }),
        { ...opts, numRuns: FULL ? 2000 : 200 },
      ),
    );
  });
});

// ---- conda MatchSpec and VersionOrder ------------------------------------------------

const condaVersion = fc
  .tuple(
    fc.option(fc.nat({ max: 3 }), { nil: undefined }),
    fc.array(fc.oneof(fc.nat({ max: 300 }).map(String), fc.constantFrom('a', 'b', 'rc', 'dev', 'post', 'alpha', '1a', '2rc1', 'g1f2')), { minLength: 1, maxLength: 5 }),
    fc.option(fc.constantFrom('local', '1', 'x.2'), { nil: undefined }),
  )
  .map(([e, parts, local]) => `${e !== undefined ? `${e}!` : ''}${parts.join('.')}${local ? `+${local}` : ''}`);
const matchSpec = fc
  .tuple(
    fc.option(fc.constantFrom('conda-forge::', 'https://conda.anaconda.org/conda-forge/linux-64::', 'defaults::'), { nil: undefined }),
    fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/),
    fc.oneof(
      fc.constant(''),
      condaVersion.map((v) => `=${v}`),
      condaVersion.map((v) => `==${v}`),
      fc.tuple(fc.constantFrom('>=', '<', '<=', '>', '!=', '~='), condaVersion).map(([op, v]) => `${op}${v}`),
      fc.tuple(condaVersion, fc.constantFrom('py311_0', 'h*', '*_1')).map(([v, b]) => ` ${v} ${b}`),
      condaVersion.map((v) => `=${v}.*`),
    ),
    fc.option(fc.constantFrom('[build_number=3]', '[md5=abc]', "[version='>=1,<2']", '[subdir=linux-64]', '[build=py*]'), { nil: undefined }),
  )
  .map(([ch, name, ver, br]) => `${ch ?? ''}${name}${ver}${br ?? ''}`);

describe('conda MatchSpec and VersionOrder', () => {
  it('MatchSpec.parse only ever throws PackagerError on arbitrary text', () => {
    check(prop(fc.property(text, (s) => onlyTyped(() => MatchSpec.parse(s), PackagerError))));
    for (const s of ADVERSARIAL) onlyTyped(() => MatchSpec.parse(s), PackagerError);
  });

  it('a MatchSpec round-trips through its canonical text', () => {
    check(
      prop(
        fc.property(matchSpec, (s) => {
          let m: MatchSpec;
          try {
            m = MatchSpec.parse(s);
          } catch (err) {
            if (err instanceof PackagerError) return; // a generated combination conda rejects too
            throw err;
          }
          const canon = m.toString();
          expect(MatchSpec.parse(canon).toString()).toBe(canon);
        }),
      ),
    );
  });

  it('VersionOrder parses or throws PackagerError, and orders totally', () => {
    check(prop(fc.property(text, (s) => onlyTyped(() => VersionOrder.parse(s), PackagerError))));
    for (const s of ADVERSARIAL) onlyTyped(() => VersionOrder.parse(s), PackagerError);
    check(
      prop(
        fc.property(condaVersion, condaVersion, condaVersion, (a, b, c) => {
          // antisymmetric: the two signs cancel (toBe(-sign) would tell 0 from -0)
          expect(Math.sign(condaCompare(a, b)) + Math.sign(condaCompare(b, a))).toBe(0);
          expect(condaCompare(a, a)).toBe(0);
          if (condaCompare(a, b) <= 0 && condaCompare(b, c) <= 0) expect(condaCompare(a, c)).toBeLessThanOrEqual(0);
        }),
      ),
    );
  });
});

// ---- URL -> path inside the zip -----------------------------------------------------------

const urlish = fc.oneof(
  text,
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.tuple(fc.constantFrom('https://h/', 'file:///', 'http://u:p@h:8/', 's3://b/', ''), fc.array(fc.constantFrom('..', '.', 'a', '%2e%2e', 'b\\c', '', 'x.tgz', '?q=/../', '#/..', 'C:', '\u0000'), { maxLength: 8 })).map(([p, segs]) => p + segs.join('/')),
);

describe('simple pages (core/html-anchors.ts, the resolver and the mirror)', () => {
  const htmlish = fc.array(
    fc.oneof(
      fc.constantFrom('<a ', '<a href="', '<A HREF=', '</a>', '<a', '>', '"', "'", '=', '/>', '<!--', '-->', '<!DOCTYPE html>', '<script>', '</script>', '<base href=', '<meta name=', ' data-yanked', ' data-requires-python="&gt;=3"', '&amp;', '&#x3c;', '&copy', '#sha256=', 'x-1.0.tar.gz', 'mailto:a@b', 'http://[::1', '\n', ' '),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 60 },
  ).map((parts) => parts.join(''));

  it('never throws but EBADINDEX, and numbers the anchors in page order', () => {
    check(
      prop(
        fc.property(htmlish, (html) => {
          const scan = scanAnchors(html);
          const lines = html.split('\n').length;
          let last = 1;
          for (const a of scan.anchors) {
            expect(a.line).toBeGreaterThanOrEqual(last);
            expect(a.line).toBeLessThanOrEqual(lines);
            last = a.line;
          }
          onlyTyped(() => parseSimpleHtml(html, 'https://pypi.example/simple/x/'), PackagerError);
          projectLinks('/pypi/simple/x/', html);
        }),
      ),
    );
  });

  it('reads back every href and text that bundle/pypi-tree.ts escapes', () => {
    check(
      prop(
        fc.property(fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 5 }), (links) => {
          const html = links.map(([href, text]) => `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a><br>\n`).join('');
          const scan = scanAnchors(html);
          expect(scan.anchors.map((a) => [a.attrs.get('href'), a.text])).toEqual(links.map(([href, text]) => [href, text.trim()]));
        }),
      ),
    );
  });
});

describe('URL-to-path (bundle/layout.ts)', () => {
  it('dependencyZipPath and urlBasename always give a safe path inside dependencies/', () => {
    check(
      prop(
        fc.property(urlish, (u) => {
          const p = dependencyZipPath(u);
          expect(p).toMatch(/^dependencies\/[0-9a-f]{32}\/[^/]+$/);
          const base = urlBasename(u);
          expect(['', '.', '..']).not.toContain(base);
          expect(base).not.toMatch(/[/\\]/);
          if (!base.includes('\u0000')) assertSafeEntryName(p);
          else expect(() => assertSafeEntryName(p)).toThrow(PackagerError); // NUL is refused before it reaches the zip
        }),
      ),
    );
  });

  it('channelDirName gives one safe path segment (or a PackagerError) for any channel URL', () => {
    check(
      prop(
        fc.property(urlish, (u) => {
          let name: string;
          try {
            name = channelDirName(u);
          } catch (err) {
            if (err instanceof PackagerError) return;
            throw err;
          }
          expect(name).not.toMatch(/[/\\]/);
          expect(['', '.', '..']).not.toContain(name);
        }),
      ),
    );
  });
});

// ---- credential redaction: TypeScript and the bash shim ---------------------------------

const secret = fc.stringMatching(/^[A-Za-z0-9]{6,16}$/).map((s) => `S3CR3T${s}`);
const credentialedUrl = fc
  .tuple(
    fc.constantFrom('https', 'http', 'ftp', 'HTTPS'),
    fc.option(fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.option(secret, { nil: undefined })), { nil: undefined }),
    fc.constantFrom('conda.anaconda.org', 'h.example:8443', '127.0.0.1', 'files.pythonhosted.org'),
    fc.option(secret, { nil: undefined }),
    fc.array(fc.constantFrom('conda-forge', 'noarch', 'pkgs', 'x-1.0.tar.bz2', 'simple', 't'), { maxLength: 4 }),
    fc.array(fc.tuple(fc.constantFrom('token', 'TOKEN', 'X-Amz-Signature', 'sig', 'api_key', 'page', 'access_token', 'x-goog-credential'), secret), { maxLength: 3 }),
    fc.option(fc.constantFrom('#sha256=00', '#frag'), { nil: undefined }),
  )
  .map(([scheme, user, host, token, segs, query, frag]) => {
    const auth = user ? `${user[0]}${user[1] !== undefined ? `:${user[1]}` : ''}@` : '';
    const tok = token ? `/t/${token}` : '';
    const q = query.length ? `?${query.map(([k, v]) => `${k}=${v}`).join('&')}` : '';
    const secrets = [user?.[1], token, ...query.filter(([k]) => k !== 'page').map(([, v]) => v)].filter((x): x is string => !!x);
    return { url: `${scheme}://${auth}${host}${tok}/${segs.join('/')}/file.tgz${q}${frag ?? ''}`, secrets };
  });

/** redact_url from bin/lib/redact.sh over many URLs in one bash (one per line in, one per line out). */
function bashRedact(urls: string[]): Promise<string[]> {
  const script = `source ${JSON.stringify(path.join(ROOT, 'bin/lib/redact.sh'))}\nwhile IFS= read -r u; do redact_url "$u"; printf '%s\\n' "$REPLY"; done`;
  return new Promise((resolve, reject) => {
    const child = execFile('bash', ['-c', script], { maxBuffer: 64 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout.split('\n').slice(0, urls.length))));
    child.stdin!.end(urls.join('\n') + '\n');
  });
}

describe('credential redaction', () => {
  it('never lets a password, /t/ token or secret query value through redactUrl or redactText', () => {
    check(
      prop(
        fc.property(credentialedUrl, fc.string({ maxLength: 20 }), ({ url, secrets }, noise) => {
          const out = redactUrl(url);
          const inText = redactText(`error: cannot fetch ${url}${noise.includes('\n') ? '' : ` ${noise}`}: HTTP 403`);
          for (const s of secrets) {
            expect(out).not.toContain(s);
            expect(inText).not.toContain(s);
          }
          expect(redactUrl(out)).toBe(out); // idempotent
        }),
      ),
    );
  });

  it('the bash shim (bin/lib/redact.sh) redacts exactly as redactUrl does', async () => {
    const cases = fc.sample(fc.oneof(credentialedUrl.map((c) => c.url), fc.webUrl({ withQueryParameters: true, withFragments: true, authoritySettings: { withUserInfo: true } })), { numRuns: FULL ? 3000 : 500, seed });
    tally.properties++;
    tally.cases += cases.length;
    const clean = cases.filter((u) => !/[\n\r]/.test(u));
    const got = await bashRedact(clean);
    const diffs = clean.map((u, i) => ({ url: u, bash: got[i], ts: redactUrl(u) })).filter((d) => d.bash !== d.ts);
    expect(diffs).toEqual([]);
  });
});

// ---- the curl shim's command line ------------------------------------------------------------

const HIT_URL = 'https://downloads.example.org/tool/tool-1.0.tgz';
const HIT_BYTES = Buffer.from('the bundled tool\n');

describe('the curl shim (bin/shim/curl) command line', () => {
  it('answers any argument vector from the bundle (or refuses it), never running the real curl or leaking a secret', async () => {
    // A cached buildpack with one dependency, and a fake "real curl" that records being run.
    const dir = await tempDir();
    const bp = path.join(dir, 'bp');
    await cp(path.join(ROOT, 'bin'), path.join(bp, 'bin'), { recursive: true });
    const sha = (await import('node:crypto')).createHash('sha256').update(HIT_BYTES).digest('hex');
    await mkdir(path.join(bp, 'dependencies/abc'), { recursive: true });
    await writeFile(path.join(bp, 'dependencies/abc/tool-1.0.tgz'), HIT_BYTES);
    await writeFile(path.join(bp, 'dependencies/index.tsv'), `${HIT_URL}\tdependencies/abc/tool-1.0.tgz\t${sha}\t${HIT_BYTES.length}\n`);
    await writeFile(path.join(bp, 'manifest.yml'), 'language: python\n');
    await writeFile(path.join(bp, 'VERSION'), '1.0.0\n');
    const stub = path.join(dir, 'stub');
    await mkdir(stub);
    const realLog = path.join(dir, 'real-curl.log');
    await writeFile(path.join(stub, 'curl'), `#!/bin/bash\nprintf '%s\\n' "$*" >> ${JSON.stringify(realLog)}\n`, { mode: 0o755 });
    const work = path.join(dir, 'work');
    await mkdir(work);

    const arg = fc.oneof(
      fc.constantFrom('-f', '-s', '-S', '-L', '-fsSL', '-k', '-v', '-O', '-I', '-i', '--fail', '--silent', '--show-error', '--location', '--create-dirs', '--retry', '3', '--retry-delay', '1', '--connect-timeout', '5', '-o', 'out.tgz', '-o', '-', '--output', 'sub/dir/out.tgz', '-w', '%{http_code}', '-H', 'Accept: */*', '-ubob:S3CR3Tpass', '--user=bob:S3CR3Tpass', '-X', 'GET', '-X', 'POST', '-d', 'x=1', '--data', 'y', '--', '--unknown-flag', '-Z9', '-#', '--output-dir', 'od', '-K', 'cfg', '--url'),
      fc.constantFrom(HIT_URL, `${HIT_URL}?token=S3CR3Ttok`, 'https://u:S3CR3Tpw@downloads.example.org/tool/tool-1.0.tgz', 'https://downloads.example.org/missing-2.0.tgz', 'http://127.0.0.1:9/x', 'https://conda.anaconda.org/t/S3CR3Ttok2/c/x.tar.bz2', 'ftp://h/x', 'not a url', ''),
    );
    const vectors = fc.sample(fc.array(arg, { minLength: 0, maxLength: 7 }), { numRuns: FULL ? 600 : 120, seed });
    tally.properties++;
    tally.cases += vectors.length;
    const codes = new Map<number, number>();
    for (const v of vectors) {
      const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(path.join(bp, 'bin/shim/curl'), v, { cwd: work, env: { ...process.env, PATH: `${path.join(bp, 'bin/shim')}:${stub}:/usr/bin:/bin` }, timeout: 20_000 }, (err, _o, stderr) =>
          resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0, stderr }),
        );
      });
      codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
      const label = JSON.stringify(v);
      // 0 hit, 2 usage, 3 not a URL (as curl), 22 miss (curl --fail's code), 23 cannot write, 37 cannot read the bundle copy
      expect([0, 2, 3, 22, 23, 37], `${label}\n${r.stderr}`).toContain(r.code);
      expect(r.stderr, label).not.toMatch(/S3CR3T/);
    }
    // only --version/--help may reach the real curl, and none of these vectors asks for it
    expect(await readFile(realLog, 'utf8').catch(() => '')).toBe('');
    record({ suite: 'fuzz', case: 'curl shim', outcome: `exit codes ${JSON.stringify(Object.fromEntries(codes))}` });
  }, 120_000);

  it('hands --version and --help to the real curl with the arguments it was given', async () => {
    const dir = await tempDir();
    const bp = path.join(dir, 'bp');
    await cp(path.join(ROOT, 'bin'), path.join(bp, 'bin'), { recursive: true });
    await mkdir(path.join(bp, 'dependencies'), { recursive: true });
    await writeFile(path.join(bp, 'dependencies/index.tsv'), '');
    const stub = path.join(dir, 'stub');
    await mkdir(stub);
    await writeFile(path.join(stub, 'curl'), '#!/bin/bash\nprintf "real curl got: %s\\n" "$*"\n', { mode: 0o755 });
    const out = await new Promise<string>((resolve, reject) =>
      execFile(path.join(bp, 'bin/shim/curl'), ['-s', '--version'], { env: { ...process.env, PATH: `${path.join(bp, 'bin/shim')}:${stub}:/usr/bin:/bin` } }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    expect(out).toBe('real curl got: -s --version\n');
  });
});
