// resolveConda end to end over a real loopback HTTP origin serving the fixture
// channels (and real upstream channel data), with a small fetchDocument that
// downloads to a temp file the way src/fetch does.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startOrigin, type Origin } from '../../../fixtures/origin/origin.mjs';
import { PackagerError } from '../../../src/core/errors.js';
import { MemoryLogger } from '../../../src/core/log.js';
import { redactUrl } from '../../../src/core/redact.js';
import type { CondaSection } from '../../../src/manifest/types.js';
import { channelRefs, resolveConda, type CondaResolveContext } from '../../../src/resolve/conda/index.js';
import { FIXTURES, UPSTREAM } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/tmp.js';
import { rejectedPackagerError as fails } from '../../helpers/errors.js';

const CH = path.join(FIXTURES, 'conda');
const UP = path.join(UPSTREAM, 'conda');

/** Serves `<prefix>/<subdir>/repodata.json` for each channel dir given. */
async function serve(channels: Record<string, string>, extra: Record<string, string | Uint8Array> = {}): Promise<Origin> {
  const files: Record<string, string | Uint8Array> = { ...extra };
  for (const [prefix, dir] of Object.entries(channels)) {
    for (const subdir of ['linux-64', 'noarch']) {
      const f = path.join(dir, subdir, 'repodata.json');
      try {
        readFileSync(f);
        files[`${prefix}/${subdir}/repodata.json`] = f;
      } catch {
        // that subdir does not exist in the fixture
      }
    }
  }
  return startOrigin({ files });
}

async function context(logger = new MemoryLogger()): Promise<CondaResolveContext & { logger: MemoryLogger }> {
  const dir = await tempDir();
  let n = 0;
  return {
    logger,
    async fetchDocument(url: string) {
      const res = await fetch(url);
      if (!res.ok) throw new PackagerError('EHTTP', `Cannot fetch ${redactUrl(url)}: HTTP ${res.status}`, { url: redactUrl(url), status: res.status });
      const file = path.join(dir, `doc-${n++}`);
      await writeFile(file, Buffer.from(await res.arrayBuffer()));
      return { path: file, url: redactUrl(res.url) };
    },
  };
}

function section(s: Partial<CondaSection>): CondaSection {
  return { channels: [], subdirs: ['linux-64', 'noarch'], specs: [], files: [], ...s };
}

describe('resolveConda over loopback', () => {
  it('resolves specs into lock entries carrying the verbatim repodata record', async () => {
    const origin = await serve({ '/a': path.join(CH, 'channel-a'), '/b': path.join(CH, 'channel-b') });
    try {
      const ctx = await context();
      const res = await resolveConda({ conda: section({ channels: [`${origin.url}/a`, `${origin.url}/b`], specs: ['dia-app', 'cp-only-b', 'mix-pure'] }), stacks: ['cflinuxfs4'], manifestDir: '/' }, ctx);
      expect(res.entries.map((e) => `${e.subdir}/${e.filename}`)).toEqual([
        'linux-64/cp-only-b-1.0-0.tar.bz2',
        'linux-64/cp-pkg-1.0-0.tar.bz2',
        'linux-64/dia-app-1.0-0.tar.bz2',
        'linux-64/dia-base-2.0-0.tar.bz2',
        'linux-64/dia-left-1.0-0.tar.bz2',
        'linux-64/dia-right-1.0-0.tar.bz2',
        'noarch/mix-pure-1.0-pyh_0.tar.bz2',
        'linux-64/mix-py-3.11.0-0.tar.bz2',
      ]);
      const repodata = JSON.parse(readFileSync(path.join(CH, 'channel-a/linux-64/repodata.json'), 'utf8'));
      const base = res.entries.find((e) => e.name === 'dia-base')!;
      expect(base).toEqual({
        kind: 'conda',
        name: 'dia-base',
        version: '2.0',
        build: '0',
        build_number: 0,
        filename: 'dia-base-2.0-0.tar.bz2',
        uri: `${origin.url}/a/linux-64/dia-base-2.0-0.tar.bz2`,
        sha256: repodata.packages['dia-base-2.0-0.tar.bz2'].sha256,
        md5: repodata.packages['dia-base-2.0-0.tar.bz2'].md5,
        size: repodata.packages['dia-base-2.0-0.tar.bz2'].size,
        channel: `${origin.url}/a`,
        subdir: 'linux-64',
        depends: [],
        constrains: [],
        cf_stacks: ['cflinuxfs4'],
        record: repodata.packages['dia-base-2.0-0.tar.bz2'],
      });
      expect(res.entries.find((e) => e.name === 'cp-only-b')!.channel).toBe(`${origin.url}/b`);
      expect(res.channels).toEqual([
        { url: `${origin.url}/a`, subdirs: ['linux-64', 'noarch'] },
        { url: `${origin.url}/b`, subdirs: ['linux-64', 'noarch'] },
      ]);
      // .zst tried first, then plain JSON, each once per channel x subdir
      expect(origin.requestsFor('/a/linux-64/repodata.json.zst')).toHaveLength(1);
      expect(origin.requestsFor('/a/linux-64/repodata.json')).toHaveLength(1);
      expect(res.pipRequirements).toEqual([]);
    } finally {
      await origin.close();
    }
  });

  it('uses repodata.json.zst when the channel offers it', async () => {
    const dir = await tempDir();
    const zst = path.join(dir, 'repodata.json.zst');
    execFileSync('zstd', ['-q', path.join(CH, 'channel-a/linux-64/repodata.json'), '-o', zst]);
    const origin = await serve({ '/a': path.join(CH, 'channel-a') }, { '/a/linux-64/repodata.json.zst': zst });
    try {
      const res = await resolveConda({ conda: section({ channels: [`${origin.url}/a`], specs: ['bt-top'] }), stacks: ['cflinuxfs4'], manifestDir: '/' }, await context());
      expect(res.entries.map((e) => e.filename)).toContain('bt-a-1.0-0.tar.bz2');
      expect(origin.requestsFor('/a/linux-64/repodata.json')).toHaveLength(0);
      expect(origin.requestsFor('/a/linux-64/repodata.json.zst')).toHaveLength(1);
    } finally {
      await origin.close();
    }
  });

  it('falls back to repodata.json, with a warning, when repodata.json.zst answers 200 with bytes that are not zstd (as conda does)', async () => {
    const origin = await serve({ '/a': path.join(CH, 'channel-a') }, { '/a/linux-64/repodata.json.zst': Buffer.from('<html>Please log in</html>') });
    try {
      const ctx = await context();
      const res = await resolveConda({ conda: section({ channels: [`${origin.url}/a`], specs: ['bt-top'] }), stacks: ['cflinuxfs4'], manifestDir: '/' }, ctx);
      expect(res.entries.map((e) => e.filename)).toContain('bt-a-1.0-0.tar.bz2');
      expect(origin.requestsFor('/a/linux-64/repodata.json')).toHaveLength(1);
      expect(ctx.logger.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
        expect.stringMatching(new RegExp(`^${origin.url}/a/linux-64/repodata\\.json\\.zst is not zstd \\(.+\\); using repodata\\.json$`)),
      ]);
    } finally {
      await origin.close();
    }
  });

  it('never lets a channel token reach entries, channels or logs', async () => {
    const origin = await serve({ '/t/tk-SECRET-123/a': path.join(CH, 'channel-a') });
    try {
      const ctx = await context();
      const res = await resolveConda({ conda: section({ channels: [`${origin.url}/t/tk-SECRET-123/a`], specs: ['tw-pkg'] }), stacks: ['cflinuxfs4'], manifestDir: '/' }, ctx);
      expect(res.entries[0]!.uri).toBe(`${origin.url}/t/-redacted-/a/linux-64/tw-pkg-1.0-0.conda`);
      expect(JSON.stringify(res) + ctx.logger.text()).not.toContain('SECRET');
    } finally {
      await origin.close();
    }
  });

  it('merges stacks into cf_stacks and picks per-stack builds by glibc', async () => {
    const origin = await serve({ '/a': path.join(CH, 'channel-a') });
    try {
      const res = await resolveConda({ conda: section({ channels: [`${origin.url}/a`], specs: ['vp-lib', 'dia-base'] }), stacks: ['cflinuxfs5', 'cflinuxfs4'], manifestDir: '/' }, await context());
      // one subdir group: the lowest glibc (2.35) decides, and both stacks share the result
      expect(res.entries.map((e) => [e.filename, e.cf_stacks])).toEqual([
        ['dia-base-3.0-0.tar.bz2', ['cflinuxfs4', 'cflinuxfs5']],
        ['vp-lib-1.0-old_0.tar.bz2', ['cflinuxfs4', 'cflinuxfs5']],
      ]);
    } finally {
      await origin.close();
    }
  });

  it('takes a conda list -e file as it is and routes pypi_0 lines to pip', async () => {
    const origin = await serve({ '/a': path.join(CH, 'channel-a') });
    const dir = await tempDir();
    writeFileSync(path.join(dir, 'conda-requirements.txt'), '# platform: linux-64\ndia-left=1.0=0\ndia-base=1.0=0\nrequests=2.31.0=pypi_0\n');
    writeFileSync(path.join(dir, 'broken.txt'), '# platform: linux-64\ndia-left=1.0=0\ndia-right=1.0=0\n');
    try {
      const res = await resolveConda({ conda: section({ channels: [`${origin.url}/a`], files: ['conda-requirements.txt'] }), stacks: ['cflinuxfs4'], manifestDir: dir }, await context());
      expect(res.entries.map((e) => e.filename)).toEqual(['dia-base-1.0-0.tar.bz2', 'dia-left-1.0-0.tar.bz2']);
      expect(res.pipRequirements).toEqual(['requests==2.31.0']);
      const err = await fails(resolveConda({ conda: section({ channels: [`${origin.url}/a`], files: ['broken.txt'] }), stacks: ['cflinuxfs4'], manifestDir: dir }, await context()));
      expect(err.code).toBe('ERESOLVE');
      expect(err.message).toBe('The environment in broken.txt is not complete: dia-left 1.0 requires dia-base >=1,<3, which broken.txt does not list');
      const mixed = await fails(resolveConda({ conda: section({ channels: [`${origin.url}/a`], files: ['conda-requirements.txt'], specs: ['tw-pkg'] }), stacks: ['cflinuxfs4'], manifestDir: dir }, await context()));
      expect(mixed.code).toBe('EINPUT');
    } finally {
      await origin.close();
    }
  });

  it('looks up @EXPLICIT URLs in their channel repodata and checks the md5', async () => {
    const origin = await serve({ '/a': path.join(CH, 'channel-a') });
    const dir = await tempDir();
    const repodata = JSON.parse(readFileSync(path.join(CH, 'channel-a/linux-64/repodata.json'), 'utf8'));
    const md5 = (fn: string) => (repodata.packages[fn] ?? repodata['packages.conda'][fn]).md5;
    const line = (fn: string, hash = md5(fn)) => `${origin.url}/a/linux-64/${fn}#${hash}`;
    writeFileSync(path.join(dir, 'explicit.txt'), `# platform: linux-64\n@EXPLICIT\n${line('con-y-1.0-0.tar.bz2')}\n# comment\n${line('con-x-1.0-0.tar.bz2')}\n${line('tw-pkg-1.0-0.tar.bz2')}\n`);
    writeFileSync(path.join(dir, 'bad.txt'), `@EXPLICIT\n${line('con-y-1.0-0.tar.bz2', '0'.repeat(32))}\n`);
    writeFileSync(path.join(dir, 'clash.txt'), `@EXPLICIT\n${line('con-y-2.0-0.tar.bz2')}\n${line('con-x-1.0-0.tar.bz2')}\n`);
    try {
      const res = await resolveConda({ conda: section({ files: ['explicit.txt'] }), stacks: ['cflinuxfs4'], manifestDir: dir }, await context());
      // the .tar.bz2 named by URL is kept even though a .conda twin exists
      expect(res.entries.map((e) => e.filename)).toEqual(['con-x-1.0-0.tar.bz2', 'con-y-1.0-0.tar.bz2', 'tw-pkg-1.0-0.tar.bz2']);
      // the URLs' channel is not in conda.channels, but the bundle must still publish it
      expect(res.channels).toEqual([{ url: `${origin.url}/a`, subdirs: ['linux-64', 'noarch'] }]);
      const bad = await fails(resolveConda({ conda: section({ files: ['bad.txt'] }), stacks: ['cflinuxfs4'], manifestDir: dir }, await context()));
      expect(bad).toMatchObject({ code: 'EINTEGRITY', details: { wanted: '0'.repeat(32), found: md5('con-y-1.0-0.tar.bz2') } });
      const clash = await fails(resolveConda({ conda: section({ files: ['clash.txt'] }), stacks: ['cflinuxfs4'], manifestDir: dir }, await context()));
      expect(clash.message).toContain('con-x 1.0 constrains con-y <2, but clash.txt has con-y 2.0');
    } finally {
      await origin.close();
    }
  });

  it('reads conda-lock.yml for the stack platform and passes its pip packages on', async () => {
    const origin = await serve({ '/a': path.join(CH, 'channel-a') });
    const dir = await tempDir();
    const repodata = JSON.parse(readFileSync(path.join(CH, 'channel-a/linux-64/repodata.json'), 'utf8'));
    const pkg = (fn: string, name: string) => `- name: ${name}\n  version: '1.0'\n  manager: conda\n  platform: linux-64\n  dependencies: {}\n  url: ${origin.url}/a/linux-64/${fn}\n  hash:\n    md5: ${repodata.packages[fn].md5}\n    sha256: ${repodata.packages[fn].sha256}\n`;
    writeFileSync(
      path.join(dir, 'conda-lock.yml'),
      `version: 1\nmetadata:\n  platforms: [linux-64]\npackage:\n${pkg('con-x-1.0-0.tar.bz2', 'con-x')}- name: six\n  version: 1.16.0\n  manager: pip\n  platform: linux-64\n  dependencies: {}\n  url: https://files.example/six-1.16.0-py2.py3-none-any.whl\n  hash:\n    sha256: ${'b'.repeat(64)}\n`,
    );
    try {
      const res = await resolveConda({ conda: section({ files: ['conda-lock.yml'] }), stacks: ['cflinuxfs4'], manifestDir: dir }, await context());
      expect(res.entries.map((e) => e.filename)).toEqual(['con-x-1.0-0.tar.bz2']);
      expect(res.pipRequirements).toEqual([`six==1.16.0 --hash=sha256:${'b'.repeat(64)}`]);
    } finally {
      await origin.close();
    }
  });

  it('solves environment.yml dependencies with its channels and hands pip its list', async () => {
    const origin = await serve({ '/a': path.join(CH, 'channel-a') });
    const dir = await tempDir();
    writeFileSync(path.join(dir, 'environment.yml'), `name: app\nchannels:\n  - ${origin.url}/a\n  - nodefaults\ndependencies:\n  - con-z\n  - pip:\n    - flask==3.0.0\n`);
    try {
      const res = await resolveConda({ conda: section({ files: ['environment.yml'] }), stacks: ['cflinuxfs4'], manifestDir: dir }, await context());
      expect(res.entries.map((e) => e.filename)).toEqual(['con-x-1.0-0.tar.bz2', 'con-y-1.0-0.tar.bz2', 'con-z-1.0-0.tar.bz2']);
      expect(res.pipRequirements).toEqual(['flask==3.0.0']);
      expect(res.channels.map((c) => c.url)).toEqual([`${origin.url}/a`]);
    } finally {
      await origin.close();
    }
  });

  it('adds a local .conda to a local channel and resolves its dependencies from the real upstream channel', async () => {
    const repo = path.join(UP, 'conda/conda_format_repo');
    const origin = await serve({ '/defaults': repo });
    try {
      const res = await resolveConda(
        { conda: section({ channels: [`${origin.url}/defaults`], files: [path.join(repo, 'linux-64/zlib-1.2.11-h7b6447c_3.conda')] }), stacks: ['cflinuxfs4'], manifestDir: '/' },
        await context(),
      );
      expect(res.entries.map((e) => [e.channel, e.filename])).toEqual([
        [`${origin.url}/defaults`, 'libgcc-ng-8.2.0-hdf63c60_1.tar.bz2'],
        ['local', 'zlib-1.2.11-h7b6447c_3.conda'],
      ]);
      const zlib = res.entries[1]!;
      expect(zlib.uri).toBe(`file://${path.join(repo, 'linux-64/zlib-1.2.11-h7b6447c_3.conda')}`);
      expect(zlib.sha256).toBe('f33afff2144e1d6c4cf2e3e184937db8bf825b4537df74662aea5ee207b6a31b');
      expect(res.channels.at(-1)).toEqual({ url: 'local', subdirs: ['linux-64', 'noarch'] });
    } finally {
      await origin.close();
    }
  });

  it('picks the newest of the real conda-index noarch channel and warns about the missing platform subdir', async () => {
    const origin = await serve({ '/ci': path.join(UP, 'conda-index/packages') });
    try {
      const ctx = await context();
      const res = await resolveConda({ conda: section({ channels: [`${origin.url}/ci`], subdirs: ['noarch'], specs: ['run_exports_versions'] }), stacks: ['cflinuxfs4'], manifestDir: '/' }, ctx);
      expect(res.entries.map((e) => e.filename)).toEqual(['run_exports_versions-2.0-h39de5ba_0.tar.bz2']);
      expect(ctx.logger.text()).toMatch(/conda.subdirs does not list linux-64/);
    } finally {
      await origin.close();
    }
  });

  it('fails with the upstream error when a channel has no repodata, and ENOTFOUND for unknown packages', async () => {
    const origin = await serve({ '/a': path.join(CH, 'channel-a') });
    try {
      const missing = await fails(resolveConda({ conda: section({ channels: [`${origin.url}/nope`], specs: ['x'] }), stacks: ['cflinuxfs4'], manifestDir: '/' }, await context()));
      expect(missing).toMatchObject({ code: 'EHTTP', details: { status: 404 } });
      const unknown = await fails(resolveConda({ conda: section({ channels: [`${origin.url}/a`], specs: ['no-such-pkg'] }), stacks: ['cflinuxfs4'], manifestDir: '/' }, await context()));
      expect(unknown.code).toBe('ENOTFOUND');
      const stack = await fails(resolveConda({ conda: section({ channels: [`${origin.url}/a`], specs: ['x'] }), stacks: ['windows'], manifestDir: '/' }, await context()));
      expect(stack.code).toBe('EMANIFEST');
    } finally {
      await origin.close();
    }
  });

  it('reads file:// channels without fetching', async () => {
    const res = await resolveConda(
      { conda: section({ channels: [`file://${path.join(CH, 'channel-a')}`], specs: ['dia-app'] }), stacks: ['cflinuxfs4'], manifestDir: '/' },
      { logger: new MemoryLogger(), fetchDocument: () => Promise.reject(new Error('no fetch expected')) },
    );
    expect(res.entries).toHaveLength(4);
  });
});

describe('channelRefs', () => {
  it('maps short names through the alias and defaults to pkgs/main + pkgs/r', () => {
    expect(channelRefs('conda-forge')).toEqual([{ url: 'https://conda.anaconda.org/conda-forge', names: ['conda-forge'] }]);
    expect(channelRefs('conda-forge', 'https://mirror.example/conda/')).toEqual([{ url: 'https://mirror.example/conda/conda-forge', names: ['conda-forge'] }]);
    expect(channelRefs('defaults').map((r) => r.url)).toEqual(['https://repo.anaconda.com/pkgs/main', 'https://repo.anaconda.com/pkgs/r']);
    expect(channelRefs('pkgs/main')).toEqual([{ url: 'https://repo.anaconda.com/pkgs/main', names: ['pkgs/main', 'defaults'] }]);
    expect(channelRefs('https://conda.anaconda.org/t/tk-1/conda-forge/')).toEqual([{ url: 'https://conda.anaconda.org/t/tk-1/conda-forge', names: ['conda-forge'] }]);
    expect(channelRefs('http://127.0.0.1:9/t/tk/ch')[0]!.names).toEqual(['ch']);
  });
});
