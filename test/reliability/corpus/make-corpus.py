#!/usr/bin/env python3
"""Writes the bad-input corpus (test/reliability/corpus/*) deterministically.

Every file is a hand-made malformed or hostile input for one reader of the
packager or the mirror; README.md says what each one is and what must happen.
Run it again after changing a case: `python3 make-corpus.py` (stdlib only).
The outputs are committed so the suite needs no generator at test time.
"""
import os
import struct
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def write(rel, data):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode('utf-8')
    with open(path, 'wb') as f:
        f.write(data)


def billion_laughs(prefix, key, indent=''):
    lines = [prefix.rstrip('\n'), 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]']
    for i in range(1, 13):
        lines.append('a%d: &a%d [%s]' % (i, i, ', '.join(['*a%d' % (i - 1)] * 9)))
    return '\n'.join(lines) + '\n' + key + ': *a12\n'


INCLUDE = 'include_files:\n- VERSION\n- manifest.yml\n- bin/compile\n'

# ---- manifests (bin/package offline --manifest FILE) -----------------------
write('manifest/m01-invalid-yaml.yml', 'language: python\ndependencies:\n  - name: [unclosed\n    version: 1.0\n')
write('manifest/m02-empty.yml', '')
write('manifest/m03-top-level-list.yml', '- language: python\n- dependencies: []\n')
write('manifest/m04-wrong-types.yml', 'language: 42\ndependencies: not-a-list\ndefault_versions: {a: 1}\n' + INCLUDE)
write('manifest/m05-billion-laughs.yml', billion_laughs('language: python\ndependencies: []\n' + INCLUDE, 'conda:\n  channels: [conda-forge]\n  specs'))
write('manifest/m06-deep-nesting.yml', 'language: python\ndependencies: ' + '[' * 5000 + ']' * 5000 + '\n')
write('manifest/m07-huge-values.yml', 'language: python\ndependencies:\n- name: tool\n  version: 1e999\n  uri: https://example.invalid/tool.tgz\n  sha256: ' + 'a' * 200000 + '\n  cf_stacks: [cflinuxfs4]\n' + INCLUDE)
write('manifest/m08-not-utf8.yml', b'language: pyth\xf6n\ndependencies: []\n' + INCLUDE.encode())
write('manifest/m09-duplicate-keys.yml', 'language: python\nlanguage: ruby\ndependencies: []\n' + INCLUDE)
write('manifest/m10-bad-sha256.yml', 'language: python\ndependencies:\n- name: tool\n  version: 1.0.0\n  uri: https://example.invalid/tool.tgz\n  sha256: not-a-digest\n  cf_stacks: [cflinuxfs4]\n' + INCLUDE)
write('manifest/m11-bad-uri.yml', 'language: python\ndependencies:\n- name: tool\n  version: 1.0.0\n  uri: "javascript:alert(1)"\n  sha256: ' + '0' * 64 + '\n  cf_stacks: [cflinuxfs4]\n' + INCLUDE)
write('manifest/m12-nul-byte.yml', 'language: py\x00thon\ndependencies: []\n' + INCLUDE)
write('manifest/m13-unknown-tag.yml', 'language: !!js/function "function () { return 1 }"\ndependencies: []\n' + INCLUDE)
write('manifest/m14-include-files-escape.yml', 'language: python\ndependencies: []\ninclude_files:\n- VERSION\n- manifest.yml\n- bin/compile\n- ../../../../../../etc/passwd\n')
write('manifest/m15-include-files-absolute.yml', 'language: python\ndependencies: []\ninclude_files:\n- VERSION\n- manifest.yml\n- bin/compile\n- /etc/passwd\n')
write('manifest/m16-pip-bad-requirement.yml', 'language: python\ndependencies: []\npip:\n  index_url: http://127.0.0.1:9/simple\n  requirements: ["requests[[>=2"]\n' + INCLUDE)
write('manifest/m17-conda-bad-spec.yml', 'language: python\ndependencies: []\nconda:\n  channels: [http://127.0.0.1:9/c]\n  specs: ["numpy >=>=< 1", "(((("]\n' + INCLUDE)
write('manifest/m18-cf-stacks-wrong-type.yml', 'language: python\ndependencies:\n- name: tool\n  version: 1.0.0\n  uri: https://example.invalid/tool.tgz\n  sha256: ' + '0' * 64 + '\n  cf_stacks: {cflinuxfs4: yes}\n' + INCLUDE)
write('manifest/m19-miniconda-bad-flavor.yml', 'language: python\ndependencies: []\nminiconda:\n- flavor: Anaconda9\n  version: "../../etc"\n' + INCLUDE)
write('manifest/m20-huge-file-list.yml', 'language: python\ndependencies: []\ninclude_files:\n' + ''.join('- missing/file-%06d\n' % i for i in range(10000)))

# ---- locks (a fresh lock beside a valid manifest; INPUTS is filled in by the test) ----
LOCK_HEAD = 'lock_version: 1\ninputs_sha256: INPUTS\n'
write('lock/l01-invalid-yaml.yml', LOCK_HEAD + 'artifacts:\n  - kind: wheel\n    name: [unclosed\n')
write('lock/l02-wrong-types.yml', LOCK_HEAD + 'artifacts: "all of them"\n')
write('lock/l03-lock-version-99.yml', 'lock_version: 99\ninputs_sha256: INPUTS\nartifacts: []\n')
write('lock/l04-bad-sha256.yml', LOCK_HEAD + 'artifacts:\n  - kind: wheel\n    name: x\n    version: "1.0"\n    filename: x-1.0-py3-none-any.whl\n    uri: http://127.0.0.1:9/x-1.0-py3-none-any.whl\n    sha256: zz\n    size: 10\n    cf_stacks: [cflinuxfs4]\n')
write('lock/l05-billion-laughs.yml', billion_laughs(LOCK_HEAD, 'artifacts'))
write('lock/l06-filename-traversal.yml', LOCK_HEAD + 'artifacts:\n  - kind: wheel\n    name: x\n    version: "1.0"\n    filename: ../../../escaped-l06.whl\n    uri: FILEURI\n    sha256: FILESHA\n    size: FILESIZE\n    tags: [py3-none-any]\n    cf_stacks: [cflinuxfs4]\n')
write('lock/l07-negative-size.yml', LOCK_HEAD + 'artifacts:\n  - kind: wheel\n    name: x\n    version: "1.0"\n    filename: x-1.0-py3-none-any.whl\n    uri: http://127.0.0.1:9/x.whl\n    sha256: ' + 'a' * 64 + '\n    size: -5\n    cf_stacks: [cflinuxfs4]\n')
write('lock/l08-unknown-kind.yml', LOCK_HEAD + 'artifacts:\n  - kind: rootkit\n    name: x\n    version: "1.0"\n    filename: x\n    uri: http://127.0.0.1:9/x\n    sha256: ' + 'a' * 64 + '\n    size: 1\n    cf_stacks: [cflinuxfs4]\n')

# ---- requirements files (pip.files, bin/package resolve) -------------------
write('requirements/r01-bad-requirement.txt', 'requests[[>=2\n')
write('requirements/r02-includes-itself.txt', '-r r02-includes-itself.txt\nrequests\n')
write('requirements/r03-not-utf8.txt', b'requests==2.31.0 # caf\xe9 \xff\xfe\n')
write('requirements/r04-huge-line.txt', 'requests' + '[' + 'a,' * 100000 + 'b]\n')
write('requirements/r05-bad-hash.txt', 'requests==2.31.0 --hash=sha256:nothex\n')
write('requirements/r06-editable.txt', '-e git+https://example.invalid/x.git#egg=x\n')
write('requirements/r07-missing-include.txt', '-r does-not-exist.txt\n')
write('requirements/r09-undefined-marker-comparison.txt', 'requests ; os_name ~= "linux"\n')
write('requirements/r10-markers-nested-too-deep.txt', 'requests ; ' + '(' * 20000 + 'python_version > "3"' + ')' * 20000 + '\n')
write('requirements/r08-nested-markers.txt', 'requests ; ' + '(' * 2000 + 'python_version > "3"' + ')' * 2000 + '\n')

# ---- conda environment files (conda.files, bin/package resolve) -------------
write('environment/e01-not-a-mapping.yml', '- numpy\n- pandas\n')
write('environment/e02-billion-laughs.yml', billion_laughs('name: bomb\n', 'dependencies'))
write('environment/e03-dependencies-wrong-type.yml', 'name: x\ndependencies: 42\n')
write('environment/e04-invalid-yaml.yml', 'name: x\ndependencies:\n  - numpy\n - pandas\n')
write('environment/e05-explicit-garbage.txt', '@EXPLICIT\nnot a url at all\nhttp://[::1\n')
write('environment/e06-conda-lock-wrong-types.yml', 'version: 1\npackage: "every one"\nmetadata: []\n')

# ---- repodata documents (served at <channel>/noarch/repodata.json) -----------
write('repodata/d01-truncated.json', '{"info": {"subdir": "noarch"}, "packages": {"x-1-0.tar.bz2": {"name": "x", "version": "1"')
write('repodata/d02-wrong-types.json', '{"info": {"subdir": "noarch"}, "packages": [1, 2, 3], "packages.conda": "none"}')
write('repodata/d03-deep-nesting.json', '{"info": {"subdir": "noarch"}, "packages": {"x-1-0.tar.bz2": {"name": "x", "version": "1", "build": "0", "depends": ' + '[' * 50000 + ']' * 50000 + '}}}')
write('repodata/d04-huge-string.json', '{"info": {"subdir": "noarch"}, "packages": {"x-1-0.tar.bz2": {"name": "x", "version": "' + '9' * 1000000 + '", "build": "0", "build_number": 0, "depends": [], "sha256": "' + 'a' * 64 + '"}}}')
write('repodata/d05-not-utf8.json', b'{"info": {"subdir": "noarch"}, "packages": {"x-1-0.tar.bz2": {"name": "\xff\xfe", "version": "1", "build": "0"}}}')
write('repodata/d06-record-wrong-types.json', '{"info": {"subdir": "noarch"}, "packages": {"x-1-0.tar.bz2": {"name": "x", "version": ["1"], "build": 0, "depends": "everything"}}}')
write('repodata/d07-html-error-page.json', '<html><body><h1>403 Forbidden</h1></body></html>\n')
write('repodata/d08-subdir-traversal.json', '{"info": {"subdir": "noarch"}, "packages": {"x-1-0.tar.bz2": {"name": "x", "version": "1", "build": "0", "build_number": 0, "depends": [], "subdir": "../../../bin", "sha256": "' + 'a' * 64 + '", "size": 1}}}')

# ---- simple-index pages (served at <index>/x/) --------------------------------
write('simple/s01-binary-garbage.html', bytes(range(256)) * 64)
write('simple/s02-json-wrong-types.json', '{"meta": {"api-version": "1.0"}, "name": "x", "files": "all of them"}')
write('simple/s03-deep-nesting.html', '<html><body>' + '<div>' * 20000 + '</div>' * 20000 + '</body></html>')
write('simple/s04-traversal-filename.html', '<html><body><a href="../../files/..%2F..%2F..%2Fescaped-s04-1.0-py3-none-any.whl#sha256=' + 'a' * 64 + '">..%2F..%2F..%2Fescaped-s04-1.0-py3-none-any.whl</a></body></html>')
write('simple/s05-bad-hash.html', '<html><body><a href="../../files/x-1.0-py3-none-any.whl#sha256=zz">x-1.0-py3-none-any.whl</a></body></html>')
write('simple/s06-json-deep.json', '{"meta": {"api-version": "1.0"}, "name": "x", "files": ' + '[' * 20000 + ']' * 20000 + '}')
# SANDBOX is replaced by the test with a directory holding x-1.0.tar.gz: a remote page must not make the packager read local files.
write('simple/s07-file-url-on-remote-index.html', '<html><body><a href="file://SANDBOX/x-1.0.tar.gz">x-1.0.tar.gz</a></body></html>')

# ---- zips (bin/package verify, bin/mirror serve / export) --------------------
BASE = {
    'manifest.yml': 'language: python\ndependencies: []\n',
    'VERSION': '1.0.0\n',
    'bin/compile': '#!/bin/bash\n',
    'bin/detect': '#!/bin/bash\n',
    'bin/supply': '#!/bin/bash\n',
    'bin/finalize': '#!/bin/bash\n',
    'bin/release': '#!/bin/bash\n',
}
FIXED = (1980, 1, 1, 0, 0, 0)


def info(name, mode=0o100644):
    zi = zipfile.ZipInfo(name, FIXED)
    zi.create_system = 3
    zi.external_attr = mode << 16
    zi.compress_type = zipfile.ZIP_DEFLATED
    return zi


def base_zip(rel, extra=()):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with zipfile.ZipFile(path, 'w') as z:
        for name, text in BASE.items():
            z.writestr(info(name, 0o100755 if name.startswith('bin/') else 0o100644), text)
        for zi, data in extra:
            z.writestr(zi, data)
    return path


base_zip('zip/z00-control.zip')
data = open(os.path.join(HERE, 'zip/z00-control.zip'), 'rb').read()
write('zip/z01-truncated.zip', data[: len(data) // 2])
write('zip/z02-not-a-zip.zip', b'PK\x03\x04' + bytes((i * 7919) % 251 for i in range(4096)))
base_zip('zip/z03-dotdot-entry.zip', [(info('../escaped-z03.txt'), 'outside\n')])
base_zip('zip/z04-absolute-entry.zip', [(info('/tmp/escaped-z04.txt'), 'outside\n')])
base_zip('zip/z05-symlink-entry.zip', [(info('pypi/files/passwd-1.0-py3-none-any.whl', 0o120777), '/etc/passwd')])
base_zip('zip/z06-duplicate-names.zip', [(info('pypi/files/x-1.0-py3-none-any.whl'), 'one'), (info('pypi/files/x-1.0-py3-none-any.whl'), 'two')])
base_zip('zip/z09-backslash-entry.zip', [(info('..\\..\\escaped-z09.txt'), 'outside\n')])

# z07: an honest bomb, 64 MiB of zeros deflated to ~64 KiB (sizes in the zip are true).
BOMB = 64 * 1024 * 1024
zeros = bytes(1024 * 1024)
comp = zlib.compressobj(9, zlib.DEFLATED, -15)
deflated = b''.join(comp.compress(zeros) for _ in range(64)) + comp.flush()
crc = 0
for _ in range(64):
    crc = zlib.crc32(zeros, crc)


def raw_zip(rel, entries):
    """entries: (name, mode, method, crc, csize, usize, payload); the sizes are written as given."""
    out = bytearray()
    central = bytearray()
    for name, mode, method, ecrc, csize, usize, payload in entries:
        n = name.encode()
        offset = len(out)
        out += struct.pack('<IHHHHHIIIHH', 0x04034B50, 20, 0, method, 0, 0x21, ecrc, csize, usize, len(n), 0) + n + payload
        central += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014B50, (3 << 8) | 20, 20, 0, method, 0, 0x21, ecrc, csize, usize, len(n), 0, 0, 0, 0, mode << 16, offset) + n
    end = struct.pack('<IHHHHIIH', 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(out), 0)
    write(rel, bytes(out + central + end))


def stored(name, text, mode=0o100644):
    b = text.encode()
    return (name, mode, 0, zlib.crc32(b), len(b), len(b), b)


base_entries = [stored(k, v, 0o100755 if k.startswith('bin/') else 0o100644) for k, v in BASE.items()]
raw_zip('zip/z07-bomb-honest.zip', base_entries + [('pypi/files/zeros-1.0-py3-none-any.whl', 0o100644, 8, crc, len(deflated), BOMB, deflated)])
# z08: the same deflate stream, but the zip claims it inflates to 1 KiB.
raw_zip('zip/z08-bomb-lying-size.zip', base_entries + [('pypi/files/zeros-1.0-py3-none-any.whl', 0o100644, 8, zlib.crc32(bytes(1024)), len(deflated), 1024, deflated)])
# z10: a manifest that is a YAML alias bomb.
raw_zip('zip/z10-manifest-billion-laughs.zip', [stored('manifest.yml', billion_laughs('language: python\n', 'dependencies'))] + base_entries[1:])
# z11: five entries that each claim to inflate to 1 GiB (they hold 1 KiB): refused before anything is read.
kib = zlib.compressobj(9, zlib.DEFLATED, -15)
small = kib.compress(bytes(1024)) + kib.flush()
raw_zip('zip/z11-bomb-claims-5-gib.zip', base_entries + [('pypi/files/big-%d-1.0-py3-none-any.whl' % i, 0o100644, 8, zlib.crc32(bytes(1024)), len(small), 1 << 30, small) for i in range(5)])
