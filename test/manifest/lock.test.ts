import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PackagerError } from '../../src/core/errors.js';
import { loadLock, parseLock, serializeLock, writeLock, type Lock, type LockEntry } from '../../src/manifest/index.js';
import { tempDir } from '../helpers/tmp.js';
import { thrownPackagerError as caught } from '../helpers/errors.js';

const INPUTS = 'c'.repeat(64);

const wheel: LockEntry = {
  cf_stacks: ['cflinuxfs4', 'cflinuxfs3'],
  depends: ['charset-normalizer<4,>=2', 'idna<4,>=2.5'],
  kind: 'wheel',
  name: 'requests',
  version: '2.31.0',
  filename: 'requests-2.31.0-py3-none-any.whl',
  uri: 'https://files.pythonhosted.org/packages/70/8e/requests-2.31.0-py3-none-any.whl',
  sha256: '58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f',
  size: 62574,
  tags: ['py3-none-any'],
  requires_python: '>=3.7',
};

const conda: LockEntry = {
  kind: 'conda',
  name: 'zlib',
  version: '1.2.11',
  build: 'h7b6447c_3',
  build_number: 3,
  filename: 'zlib-1.2.11-h7b6447c_3.conda',
  uri: 'https://repo.anaconda.com/pkgs/main/linux-64/zlib-1.2.11-h7b6447c_3.conda',
  sha256: 'f33afff2144e1d6c4cf2e3e184937db8bf825b4537df74662aea5ee207b6a31b',
  md5: 'cb23839f2d1bbb5b1ac4ea0bdb0fc6df',
  size: 105917,
  channel: 'https://repo.anaconda.com/pkgs/main',
  subdir: 'linux-64',
  depends: ['libgcc-ng >=7.3.0'],
  cf_stacks: ['cflinuxfs4'],
  record: { version: '1.2.11', name: 'zlib', depends: ['libgcc-ng >=7.3.0'], build: 'h7b6447c_3', license: 'Zlib' },
};

const installer: LockEntry = {
  kind: 'installer',
  name: 'miniconda3',
  flavor: 'Miniconda3',
  version: 'py312_24.5.0-0',
  filename: 'Miniconda3-py312_24.5.0-0-Linux-x86_64.sh',
  uri: 'https://repo.anaconda.com/miniconda/Miniconda3-py312_24.5.0-0-Linux-x86_64.sh',
  sha256: '4b3b3b1b99215e85fd73fb2c2d7ebf318ac942a457072de62d885056556eb83e',
  size: 148478361,
  size_approximate: true,
  depends: [],
  cf_stacks: ['cflinuxfs4'],
};

const olderWheel: LockEntry = { ...wheel, version: '2.30.0', filename: 'requests-2.30.0-py3-none-any.whl', uri: wheel.uri.replace('2.31.0', '2.30.0') };
const versionOnlyLooksNumeric: LockEntry = { ...wheel, name: 'six', version: '1.0', filename: 'six-1.0-py2.py3-none-any.whl', uri: 'https://x.test/six-1.0-py2.py3-none-any.whl' };

const lock: Lock = { lock_version: 1, inputs_sha256: INPUTS, artifacts: [wheel, installer, versionOnlyLooksNumeric, conda, olderWheel] };

describe('serializeLock', () => {
  it('writes a header comment, sorted entries and a fixed key order', () => {
    const text = serializeLock(lock);
    expect(text.startsWith('# manifest.lock.yml: written by `bin/package resolve`; do not edit by hand.\n')).toBe(true);
    const names = [...text.matchAll(/^ {2}- kind: (\S+)\n {4}name: (\S+)\n {4}version: (\S+)/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
    expect(names).toEqual(["conda zlib 1.2.11", "installer miniconda3 py312_24.5.0-0", "wheel requests 2.30.0", "wheel requests 2.31.0", "wheel six '1.0'"]);
    expect(text).toMatchInlineSnapshot(`
      "# manifest.lock.yml: written by \`bin/package resolve\`; do not edit by hand.
      # Every artifact the offline zip carries, with its exact URL, sha256 and size.
      # Re-resolve with \`bin/package resolve --update\` after changing the manifest.
      lock_version: 1
      inputs_sha256: cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc
      artifacts:
        - kind: conda
          name: zlib
          version: 1.2.11
          build: h7b6447c_3
          build_number: 3
          filename: zlib-1.2.11-h7b6447c_3.conda
          uri: https://repo.anaconda.com/pkgs/main/linux-64/zlib-1.2.11-h7b6447c_3.conda
          sha256: f33afff2144e1d6c4cf2e3e184937db8bf825b4537df74662aea5ee207b6a31b
          md5: cb23839f2d1bbb5b1ac4ea0bdb0fc6df
          size: 105917
          channel: https://repo.anaconda.com/pkgs/main
          subdir: linux-64
          depends:
            - libgcc-ng >=7.3.0
          cf_stacks:
            - cflinuxfs4
          record:
            build: h7b6447c_3
            depends:
              - libgcc-ng >=7.3.0
            license: Zlib
            name: zlib
            version: 1.2.11
        - kind: installer
          name: miniconda3
          version: py312_24.5.0-0
          flavor: Miniconda3
          filename: Miniconda3-py312_24.5.0-0-Linux-x86_64.sh
          uri: https://repo.anaconda.com/miniconda/Miniconda3-py312_24.5.0-0-Linux-x86_64.sh
          sha256: 4b3b3b1b99215e85fd73fb2c2d7ebf318ac942a457072de62d885056556eb83e
          size: 148478361
          size_approximate: true
          depends: []
          cf_stacks:
            - cflinuxfs4
        - kind: wheel
          name: requests
          version: 2.30.0
          filename: requests-2.30.0-py3-none-any.whl
          uri: https://files.pythonhosted.org/packages/70/8e/requests-2.30.0-py3-none-any.whl
          sha256: 58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f
          size: 62574
          tags:
            - py3-none-any
          requires_python: '>=3.7'
          depends:
            - charset-normalizer<4,>=2
            - idna<4,>=2.5
          cf_stacks:
            - cflinuxfs3
            - cflinuxfs4
        - kind: wheel
          name: requests
          version: 2.31.0
          filename: requests-2.31.0-py3-none-any.whl
          uri: https://files.pythonhosted.org/packages/70/8e/requests-2.31.0-py3-none-any.whl
          sha256: 58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f
          size: 62574
          tags:
            - py3-none-any
          requires_python: '>=3.7'
          depends:
            - charset-normalizer<4,>=2
            - idna<4,>=2.5
          cf_stacks:
            - cflinuxfs3
            - cflinuxfs4
        - kind: wheel
          name: six
          version: '1.0'
          filename: six-1.0-py2.py3-none-any.whl
          uri: https://x.test/six-1.0-py2.py3-none-any.whl
          sha256: 58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f
          size: 62574
          tags:
            - py3-none-any
          requires_python: '>=3.7'
          depends:
            - charset-normalizer<4,>=2
            - idna<4,>=2.5
          cf_stacks:
            - cflinuxfs3
            - cflinuxfs4
      "
    `);
  });

  it('gives the same bytes whatever order the resolvers produced entries and keys in', () => {
    const shuffled: Lock = {
      lock_version: 1,
      inputs_sha256: INPUTS,
      artifacts: [olderWheel, conda, versionOnlyLooksNumeric, installer, wheel].map((e) =>
        Object.fromEntries(Object.entries(e).reverse()) as unknown as LockEntry,
      ),
    };
    expect(serializeLock(shuffled)).toBe(serializeLock(lock));
  });

  it('round-trips byte for byte: parse(serialize(lock)) serializes to the same text', () => {
    const text = serializeLock(lock);
    const parsed = parseLock(text, 'manifest.lock.yml');
    expect(serializeLock(parsed)).toBe(text);
    // Values survive with their types: '1.0' stays a string, sizes stay numbers.
    const six = parsed.artifacts.find((a) => a.name === 'six')!;
    expect(six.version).toBe('1.0');
    expect(parsed.artifacts.find((a) => a.kind === 'conda')).toEqual({ ...conda, record: conda.record });
    expect(parsed.artifacts.find((a) => a.kind === 'installer')).toEqual(installer);
  });
});

describe('writeLock / loadLock', () => {
  it('writes atomically (no temp file left) and reads back what it wrote', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'manifest.lock.yml');
    await writeLock(file, lock);
    expect(await readdir(dir)).toEqual(['manifest.lock.yml']);
    expect(await readFile(file, 'utf8')).toBe(serializeLock(lock));
    expect(serializeLock((await loadLock(file))!)).toBe(serializeLock(lock));
  });

  it('returns undefined when there is no lock yet', async () => {
    const dir = await tempDir();
    expect(await loadLock(path.join(dir, 'manifest.lock.yml'))).toBeUndefined();
  });

  it('rejects a malformed lock with ELOCK, key path and line', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'manifest.lock.yml');
    await writeFile(file, serializeLock(lock).replace('size: 105917', 'size: big'));
    const e = await loadLock(file).catch((err: PackagerError) => err);
    expect(e).toBeInstanceOf(PackagerError);
    expect((e as PackagerError).code).toBe('ELOCK');
    expect((e as PackagerError).message).toBe(`${file}: artifacts[0].size (line 16, column 11): expected a whole number, got a string: big`);
    expect((e as PackagerError).hint).toBe('Regenerate it with `bin/package resolve --update`.');
  });
});

describe('parseLock errors', () => {
  it('rejects an unsupported lock_version', () => {
    const e = caught(() => parseLock('lock_version: 2\ninputs_sha256: x\nartifacts: []\n', 'manifest.lock.yml'));
    expect(e.message).toMatchInlineSnapshot(`"manifest.lock.yml: lock_version (line 1, column 15): unsupported lock_version: 2"`);
  });

  it('rejects an unknown kind and a bad sha256 together', () => {
    const text = serializeLock({ ...lock, artifacts: [installer] }).replace('kind: installer', 'kind: binary').replace(installer.sha256, 'abc');
    const e = caught(() => parseLock(text, 'manifest.lock.yml'));
    expect(e.code).toBe('ELOCK');
    expect(e.details.problems).toMatchInlineSnapshot(`
      [
        "manifest.lock.yml: artifacts[0].kind (line 7, column 11): unknown artifact kind: binary",
        "manifest.lock.yml: artifacts[0].sha256 (line 13, column 13): not a sha256 digest (64 hexadecimal characters): abc",
      ]
    `);
  });

  it('reports YAML syntax errors with their position', () => {
    const e = caught(() => parseLock('lock_version: 1\nartifacts: [\n', 'manifest.lock.yml'));
    expect(e.code).toBe('ELOCK');
    expect(e.details.line).toBe(3);
  });
});

describe('built wheels in the lock (sdists built at packaging time)', () => {
  const sdist: LockEntry = {
    kind: 'sdist',
    name: 'flitpure',
    version: '1.0',
    filename: 'flitpure-1.0.tar.gz',
    uri: 'https://example.org/files/flitpure-1.0.tar.gz',
    sha256: 'a'.repeat(64),
    size: 374,
    depends: [],
    cf_stacks: ['cflinuxfs4'],
    built: {
      requires: [
        { size: 818216, sha256: 'c'.repeat(64), uri: 'https://example.org/files/setuptools-84.0.0-py3-none-any.whl', filename: 'setuptools-84.0.0-py3-none-any.whl', version: '84.0.0', name: 'setuptools' },
        { name: 'flit-core', version: '4.1.0', filename: 'flit_core-4.1.0-py3-none-any.whl', uri: 'https://example.org/files/flit_core-4.1.0-py3-none-any.whl', sha256: 'b'.repeat(64), size: 45622 },
      ],
      isolation: 'unshare -n',
      source_date_epoch: 315532800,
      python: '3.11.7',
      backend: 'flit_core.buildapi',
      size: 979,
      sha256: 'd'.repeat(64),
      filename: 'flitpure-1.0-py2.py3-none-any.whl',
    },
  };

  it('writes built: after the sdist, keys in a fixed order, requirements sorted by file name, and reads it back', () => {
    const text = serializeLock({ lock_version: 1, inputs_sha256: INPUTS, artifacts: [sdist] });
    expect(text).toContain(
      [
        '    built:',
        '      filename: flitpure-1.0-py2.py3-none-any.whl',
        `      sha256: ${'d'.repeat(64)}`,
        '      size: 979',
        '      backend: flit_core.buildapi',
        '      python: 3.11.7',
        '      source_date_epoch: 315532800',
        '      isolation: unshare -n',
        '      requires:',
        '        - name: flit-core',
        '          version: 4.1.0',
        '          filename: flit_core-4.1.0-py3-none-any.whl',
      ].join('\n'),
    );
    expect(text.indexOf('setuptools-84.0.0')).toBeGreaterThan(text.indexOf('flit_core-4.1.0'));
    const back = parseLock(text, 'manifest.lock.yml');
    expect(back.artifacts[0]!.built!.requires[0]!.sha256).toBe('b'.repeat(64));
    expect(serializeLock(back)).toBe(text);
  });

  it('refuses a built: whose digest is malformed or whose keys are missing, naming the key', () => {
    const text = serializeLock({ lock_version: 1, inputs_sha256: INPUTS, artifacts: [sdist] }).replace(`sha256: ${'d'.repeat(64)}`, 'sha256: nope').replace('      backend: flit_core.buildapi\n', '');
    const err = caught(() => parseLock(text, 'manifest.lock.yml'));
    expect(err.code).toBe('ELOCK');
    const problems = (err.details.problems as string[]).join('\n');
    expect(problems).toContain('artifacts[0].built.sha256');
    expect(problems).toContain('not a sha256 digest');
    expect(problems).toContain('artifacts[0].built.backend');
  });
});
