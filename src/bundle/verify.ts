// `bin/package verify ZIP`: reads a buildpack zip with random access (yauzl;
// nothing is extracted) and reports every problem it finds, one per line:
// what cf create-buildpack needs (manifest.yml, VERSION, bin/compile and the
// other staging scripts, executable), every `file:` of the packaged manifest
// and every index.tsv row present with the right sha256 and size, each conda
// subdir's repodata.json pointing at bundled files with matching hashes, the
// PyPI tree linking only bundled files with correct hashes, no entry escaping
// the root (../, absolute, symlink), no credentials, and the zip's size.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { stat } from 'node:fs/promises';
import yaml from 'js-yaml';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import type { ErrorCode } from '../core/errors.js';
import { scanAnchors } from '../core/html-anchors.js';
import { hasCredentials, redactUrl } from '../core/redact.js';
import { CONDA_CHANNELS_TSV, INDEX_TSV, NAMES_TSV, PYPI_FILES, PYPI_SIMPLE, STAGING_SCRIPTS, compareBytes } from './layout.js';
import { CC_MANIFEST_LIMIT } from './plan.js';
import { readZipStructure } from './zip-structure.js';
import { expandedValueCount, MAX_YAML_VALUES } from '../manifest/index.js';

export interface VerifyProblem {
  code: ErrorCode;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  problems: VerifyProblem[];
  warnings: string[];
}

/** Largest zip verify accepts (Cloud Controller's usual buildpack upload limit). */
export const MAX_BUNDLE_BYTES = 1024 * 1024 * 1024;

interface Digest {
  sha256: string;
  md5: string;
  size: number;
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

/** Checks a buildpack zip; `ok` only when no problem was found. */
export async function verifyBundle(zipPath: string, o: { maxBytes?: number } = {}): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const warnings: string[] = [];
  const problem = (code: ErrorCode, message: string) => problems.push({ code, message });
  const maxBytes = o.maxBytes ?? MAX_BUNDLE_BYTES;

  let zipSize: number;
  try {
    zipSize = (await stat(zipPath)).size;
  } catch (err) {
    problem('EIO', `Cannot read the zip: ${zipPath}: ${(err as Error).message}`);
    return { ok: false, problems, warnings };
  }
  if (zipSize > maxBytes) problem('EBUNDLE', `The zip is ${zipSize} bytes, over the ${maxBytes}-byte limit: ${zipPath}`);
  else if (zipSize > maxBytes * 0.8) warnings.push(`The zip is ${zipSize} bytes, over 80% of the ${maxBytes}-byte limit`);

  try {
    // integrity of the structure itself: what other readers would see
    for (const f of (await readZipStructure(zipPath)).findings) problem('EINTEGRITY', f);
  } catch (err) {
    problem('EBUNDLE', `Not a valid zip: ${zipPath}: ${(err as Error).message}`);
    return { ok: false, problems, warnings };
  }

  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true });
  } catch (err) {
    problem('EBUNDLE', `Not a valid zip: ${zipPath}: ${(err as Error).message}`);
    return { ok: false, problems, warnings };
  }
  try {
    const v = new Verifier(zip, problem, warnings);
    await v.run();
  } catch (err) {
    problem('EBUNDLE', `Not a valid zip: ${zipPath}: ${(err as Error).message}`);
  } finally {
    zip.close();
  }
  return { ok: problems.length === 0, problems, warnings };
}

/** Most bytes a zip's entries may expand to (4x the largest zip accepted). */
export const MAX_EXPANDED_BYTES = 4 * MAX_BUNDLE_BYTES;
/** Largest text entry read into memory (repodata.json of a big bundled channel fits easily). */
const MAX_TEXT_BYTES = 256 * 1024 * 1024;

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

class Verifier {
  private readonly files = new Map<string, Entry>();
  /** Entries already reported as unreadable or corrupt (reported once). */
  private readonly unreadable = new Set<string>();
  private readonly dirs = new Set<string>();
  private readonly digests = new Map<string, Promise<Digest>>();

  constructor(
    private readonly zip: ZipFile,
    private readonly problem: (code: ErrorCode, message: string) => void,
    private readonly warnings: string[],
  ) {}

  async run(): Promise<void> {
    await this.readEntries();
    this.checkFileDirClashes();
    if (!(await this.checkExpandedSize())) return;
    const manifest = await this.checkManifest();
    await this.checkRequiredFiles();
    if (manifest) await this.checkManifestFiles(manifest);
    await this.checkIndexes();
    await this.checkConda();
    await this.checkPypi();
    await this.checkEveryEntry();
  }

  /**
   * A zip whose entries claim to expand past MAX_EXPANDED_BYTES is refused
   * before anything is inflated (a zip bomb: kilobytes that inflate to
   * gigabytes). Sizes that lie are caught while reading (yauzl validates them).
   */
  private async checkExpandedSize(): Promise<boolean> {
    let total = 0;
    for (const e of this.files.values()) total += e.uncompressedSize;
    if (total > MAX_EXPANDED_BYTES) {
      this.problem('EBUNDLE', `The zip's entries expand to ${total} bytes, more than a buildpack can be (${MAX_EXPANDED_BYTES}): a zip bomb?`);
      return false;
    }
    return true;
  }

  /** Like `unzip -t`: every entry inflates to its stated size and CRC-32 (the checks above read only what the indexes name). */
  private async checkEveryEntry(): Promise<void> {
    for (const name of [...this.files.keys()].sort(compareBytes)) {
      try {
        await this.digest(name);
      } catch (err) {
        if (!this.unreadable.has(name)) this.problem('EBUNDLE', `Cannot read ${name} from the zip: ${(err as Error).message}`);
      }
    }
  }

  // ---- entries -------------------------------------------------------------

  /** A file and a directory of the same name: unzip makes one and fails on the other. */
  private checkFileDirClashes(): void {
    const dirs = new Set(this.dirs);
    for (const name of this.files.keys()) {
      const parts = name.split('/');
      for (let k = 1; k < parts.length; k++) dirs.add(parts.slice(0, k).join('/'));
    }
    for (const name of this.files.keys()) {
      if (dirs.has(name)) this.problem('EBUNDLE', `${JSON.stringify(name)} is both a file and a directory in the zip`);
    }
  }

  private async readEntries(): Promise<void> {
    for await (const entry of this.zip.eachEntry()) {
      const raw = entry.fileName as unknown as Buffer;
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, true);
      const unixMode = entry.versionMadeBy >> 8 === 3 ? entry.externalFileAttributes >>> 16 : 0;
      const shown = JSON.stringify(name);
      if (unsafeName(name)) {
        this.problem('EBUNDLE', `Entry escapes the buildpack root: ${shown}`);
        continue;
      }
      const unusable = unusableName(name, raw);
      if (unusable) this.problem('EBUNDLE', `Entry ${shown} ${unusable}`);
      const special = unixMode & 0o7002;
      if (special) {
        this.problem('EBUNDLE', `Entry ${shown} has mode ${(unixMode & 0o7777).toString(8).padStart(4, '0')} (${special & 0o7000 ? 'setuid, setgid or sticky' : 'writable by everyone'}): buildpack files never need it`);
      }
      if ((unixMode & S_IFMT) === S_IFLNK) {
        this.problem('EBUNDLE', `Entry is a symlink (unzip would create a link that can point anywhere): ${shown}`);
        continue;
      }
      if (name.endsWith('/') || (unixMode & S_IFMT) === S_IFDIR) {
        this.dirs.add(name.replace(/\/+$/, ''));
        continue;
      }
      if (this.files.has(name)) {
        this.problem('EBUNDLE', `Entry appears twice: ${shown}`);
        continue;
      }
      this.files.set(name, entry);
    }
  }

  private mode(name: string): number | undefined {
    const e = this.files.get(name);
    if (!e || e.versionMadeBy >> 8 !== 3) return undefined;
    return (e.externalFileAttributes >>> 16) & 0o7777;
  }

  /** sha256, md5 and size of an entry's bytes (each entry read at most once). */
  private digest(name: string): Promise<Digest> {
    let d = this.digests.get(name);
    if (!d) {
      d = (async () => {
        const entry = this.files.get(name)!;
        const stream = await this.zip.openReadStreamPromise(entry);
        const sha = createHash('sha256');
        const md5 = createHash('md5');
        let size = 0;
        let crc = 0;
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          sha.update(chunk);
          md5.update(chunk);
          crc = crc32(chunk, crc);
          size += chunk.length;
        }
        if (crc >>> 0 !== entry.crc32 >>> 0) {
          this.unreadable.add(name);
          this.problem('EINTEGRITY', `CRC-32 of ${name} differs from the zip's directory. Wanted: ${hex8(entry.crc32)} Found: ${hex8(crc)}`);
        }
        return { sha256: sha.digest('hex'), md5: md5.digest('hex'), size };
      })();
      this.digests.set(name, d);
    }
    return d;
  }

  /** A text entry (manifest, TSV, page, repodata) in memory: refused past MAX_TEXT_BYTES, so a bomb cannot exhaust memory. */
  private async text(name: string): Promise<string> {
    const entry = this.files.get(name)!;
    if (entry.uncompressedSize > MAX_TEXT_BYTES) throw new Error(`${name} is ${entry.uncompressedSize} bytes, more than verify reads into memory (${MAX_TEXT_BYTES})`);
    const stream = await this.zip.openReadStreamPromise(entry);
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** Checks that `name` is bundled with the wanted sha256 (and size, when given). Returns false on a problem. */
  private async checkFile(name: string, want: { sha256?: unknown; size?: unknown; md5?: unknown }, who: string): Promise<boolean> {
    if (!this.files.has(name)) {
      this.problem('EBUNDLE', `${who} points at a file that is not in the zip: ${name}`);
      return false;
    }
    let got: Digest;
    try {
      got = await this.digest(name);
    } catch (err) {
      this.unreadable.add(name);
      this.problem('EBUNDLE', `Cannot read ${name} from the zip: ${(err as Error).message}`);
      return false;
    }
    let ok = true;
    if (typeof want.sha256 === 'string' && want.sha256.toLowerCase() !== got.sha256) {
      this.problem('EINTEGRITY', `${who}: sha256 of ${name} differs. Wanted: ${want.sha256.toLowerCase()} Found: ${got.sha256}`);
      ok = false;
    }
    if (want.size !== undefined && Number(want.size) !== got.size) {
      this.problem('ESIZE', `${who}: size of ${name} differs. Wanted: ${String(want.size)} Found: ${got.size}`);
      ok = false;
    }
    if (typeof want.md5 === 'string' && want.md5.toLowerCase() !== got.md5) {
      this.problem('EINTEGRITY', `${who}: md5 of ${name} differs. Wanted: ${want.md5.toLowerCase()} Found: ${got.md5}`);
      ok = false;
    }
    return ok;
  }

  // ---- manifest and staging scripts ---------------------------------------

  private async checkManifest(): Promise<Record<string, unknown> | undefined> {
    if (!this.files.has('manifest.yml')) {
      this.problem('EMANIFEST', 'No manifest.yml at the root of the zip (Cloud Controller reads it)');
      return undefined;
    }
    const size = this.files.get('manifest.yml')!.uncompressedSize;
    if (size > CC_MANIFEST_LIMIT) {
      this.problem('EMANIFEST', `manifest.yml is ${size} bytes; Cloud Controller refuses more than ${CC_MANIFEST_LIMIT} ("buildpack manifest is too large")`);
      return undefined;
    }
    const text = await this.text('manifest.yml');
    this.checkCredentials('manifest.yml', text);
    let doc: unknown;
    try {
      doc = yaml.load(text);
    } catch (err) {
      this.problem('EMANIFEST', `manifest.yml is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
      return undefined;
    }
    if (expandedValueCount(doc) > MAX_YAML_VALUES) {
      this.problem('EMANIFEST', `manifest.yml: its YAML aliases expand to more than ${MAX_YAML_VALUES} values (a "billion laughs" document)`);
      return undefined;
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
      this.problem('EMANIFEST', 'manifest.yml is not a YAML mapping');
      return undefined;
    }
    const m = doc as Record<string, unknown>;
    if (typeof m.language !== 'string' || m.language === '') this.problem('EMANIFEST', 'manifest.yml has no `language`');
    if (m.stack !== undefined && typeof m.stack !== 'string') this.problem('EMANIFEST', 'manifest.yml `stack` is not a string');
    return m;
  }

  private async checkRequiredFiles(): Promise<void> {
    if (!this.files.has('VERSION')) this.problem('EBUNDLE', 'No VERSION at the root of the zip');
    else if ((await this.text('VERSION')).trim() === '') this.problem('EBUNDLE', 'VERSION is empty');
    for (const script of STAGING_SCRIPTS) {
      if (!this.files.has(script)) {
        this.problem('EBUNDLE', `Staging script missing: ${script}`);
        continue;
      }
      const mode = this.mode(script);
      if (mode === undefined || (mode & 0o111) === 0) this.problem('EBUNDLE', `Staging script is not executable: ${script} (mode ${mode === undefined ? 'unknown' : mode.toString(8)})`);
    }
  }

  private async checkManifestFiles(m: Record<string, unknown>): Promise<void> {
    const lists: [string, unknown][] = [
      ['dependencies', m.dependencies],
      ['locked_artifacts', m.locked_artifacts],
    ];
    for (const [key, list] of lists) {
      if (!Array.isArray(list)) continue;
      for (const [i, item] of list.entries()) {
        if (!item || typeof item !== 'object') continue;
        const d = item as Record<string, unknown>;
        if (d.file === undefined) continue;
        const envs = Array.isArray(d.environments) ? ` needed by environment${d.environments.length === 1 ? '' : 's'} ${d.environments.join(', ')}` : '';
        const who = `manifest.yml ${key}[${i}] (${String(d.name)} ${String(d.version)}${envs})`;
        if (typeof d.file !== 'string' || unsafeName(d.file)) {
          this.problem('EBUNDLE', `${who}: file is not a path inside the zip: ${JSON.stringify(d.file)}`);
          continue;
        }
        await this.checkFile(d.file, { sha256: d.sha256, size: d.size }, who);
        // an sdist built into a wheel at packaging time: both are in the zip (docs/BUNDLE.md)
        if (d.built !== undefined) {
          const b = d.built as Record<string, unknown> | null;
          if (!b || typeof b.file !== 'string' || unsafeName(b.file)) {
            this.problem('EBUNDLE', `${who}: built.file is not a path inside the zip: ${JSON.stringify(b?.file)}`);
            continue;
          }
          await this.checkFile(b.file, { sha256: b.sha256, size: b.size }, `${who} built wheel`);
        }
      }
    }
  }

  // ---- TSV indexes ----------------------------------------------------------

  private async checkIndexes(): Promise<void> {
    const hasDeps = [...this.files.keys()].some((n) => n.startsWith('dependencies/'));
    if (!this.files.has(INDEX_TSV)) {
      if (hasDeps) this.problem('EBUNDLE', `The zip caches dependencies but has no ${INDEX_TSV}`);
      return;
    }
    const text = await this.text(INDEX_TSV);
    this.checkCredentials(INDEX_TSV, text);
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    for (const [i, line] of lines.entries()) {
      const f = line.split('\t');
      const who = `${INDEX_TSV} line ${i + 1}`;
      if (f.length !== 4 || !/^[0-9a-f]{64}$/.test(f[2]!) || !/^\d+$/.test(f[3]!)) {
        this.problem('EBUNDLE', `${who} is not url<TAB>path<TAB>sha256<TAB>size: ${JSON.stringify(line.slice(0, 200))}`);
        continue;
      }
      if (unsafeName(f[1]!)) {
        this.problem('EBUNDLE', `${who}: path is not inside the zip: ${JSON.stringify(f[1])}`);
        continue;
      }
      await this.checkFile(f[1]!, { sha256: f[2], size: f[3] }, `${who} (${f[0]})`);
    }
    if (this.files.has(NAMES_TSV)) this.checkCredentials(NAMES_TSV, await this.text(NAMES_TSV));
  }

  private checkCredentials(name: string, text: string): void {
    for (const url of text.match(/[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s'"<>]+/g) ?? []) {
      if (hasCredentials(url)) {
        this.problem('EBUNDLE', `${name} holds a URL with credentials: ${redactUrl(url)}`);
        return;
      }
    }
  }

  // ---- conda channels -------------------------------------------------------

  private async checkConda(): Promise<void> {
    // conda/<channel>/<subdir>/<file>
    const channels = new Map<string, Map<string, string[]>>();
    for (const name of this.files.keys()) {
      const m = /^conda\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(name);
      if (!m) {
        if (name.startsWith('conda/') && name !== CONDA_CHANNELS_TSV) this.problem('EBUNDLE', `Unexpected file in the conda tree: ${name}`);
        continue;
      }
      const subdirs = channels.get(m[1]!) ?? new Map<string, string[]>();
      channels.set(m[1]!, subdirs);
      const files = subdirs.get(m[2]!) ?? [];
      subdirs.set(m[2]!, files);
      files.push(m[3]!);
    }
    for (const [channel, subdirs] of [...channels].sort((a, b) => compareBytes(a[0], b[0]))) {
      if (!subdirs.has('noarch')) this.problem('EBUNDLE', `conda/${channel}/noarch/repodata.json is missing (conda needs it, even empty)`);
      for (const [subdir, files] of [...subdirs].sort((a, b) => compareBytes(a[0], b[0]))) {
        await this.checkRepodata(`conda/${channel}/${subdir}`, subdir, files);
      }
    }
  }

  private async checkRepodata(dir: string, subdir: string, files: string[]): Promise<void> {
    const name = `${dir}/repodata.json`;
    if (!files.includes('repodata.json')) {
      this.problem('EBUNDLE', `${name} is missing`);
      return;
    }
    let rd: Record<string, unknown>;
    try {
      rd = JSON.parse(await this.text(name)) as Record<string, unknown>;
      if (!rd || typeof rd !== 'object' || Array.isArray(rd)) throw new Error('not a JSON object');
    } catch (err) {
      this.problem('EBUNDLE', `${name} is not valid JSON: ${(err as Error).message}`);
      return;
    }
    const info = rd.info as Record<string, unknown> | undefined;
    if (info?.subdir !== subdir) this.problem('EBUNDLE', `${name}: info.subdir is ${JSON.stringify(info?.subdir)}, not ${JSON.stringify(subdir)}`);
    const listed = new Set<string>();
    for (const [key, suffix] of [['packages', '.tar.bz2'], ['packages.conda', '.conda']] as const) {
      const group = rd[key];
      if (group === undefined) continue;
      if (!group || typeof group !== 'object' || Array.isArray(group)) {
        this.problem('EBUNDLE', `${name}: ${key} is not an object`);
        continue;
      }
      for (const [fn, rec] of Object.entries(group as Record<string, unknown>)) {
        listed.add(fn);
        const who = `${name} ${key}[${JSON.stringify(fn)}]`;
        if (!fn.endsWith(suffix) || fn.includes('/')) {
          this.problem('EBUNDLE', `${who}: a ${key} key must be a ${suffix} file name`);
          continue;
        }
        const r = (rec ?? {}) as Record<string, unknown>;
        if (r.sha256 === undefined && r.md5 === undefined) this.problem('EBUNDLE', `${who}: record has neither sha256 nor md5`);
        await this.checkFile(`${dir}/${fn}`, { sha256: r.sha256, size: r.size, md5: r.md5 }, who);
      }
    }
    for (const f of files) {
      if (f !== 'repodata.json' && !listed.has(f)) this.warnings.push(`${dir}/${f} is not listed in ${name} (conda will never install it)`);
    }
  }

  // ---- PyPI tree ------------------------------------------------------------

  private async checkPypi(): Promise<void> {
    const pages = [...this.files.keys()].filter((n) => n.startsWith(`${PYPI_SIMPLE}/`)).sort(compareBytes);
    const dists = [...this.files.keys()].filter((n) => n.startsWith(`${PYPI_FILES}/`));
    if (!pages.length && !dists.length) return;
    if (!this.files.has(`${PYPI_SIMPLE}/index.html`)) this.problem('EBUNDLE', `${PYPI_SIMPLE}/index.html is missing`);
    const linked = new Set<string>();
    for (const page of pages) {
      if (!page.endsWith('/index.html')) {
        this.problem('EBUNDLE', `Unexpected file in the PyPI tree: ${page}`);
        continue;
      }
      const html = await this.text(page);
      const base = page.slice(0, page.lastIndexOf('/'));
      for (const a of scanAnchors(html).anchors) {
        const href = a.attrs.get('href');
        if (typeof href !== 'string') continue;
        const [rawPath, fragment] = splitOnce(href, '#');
        const who = `${page} link ${JSON.stringify(href)}`;
        if (/^[a-zA-Z][a-zA-Z0-9+.-]*:|^\/\//.test(rawPath)) {
          this.problem('EBUNDLE', `${who} points outside the zip`);
          continue;
        }
        let target: string;
        try {
          target = resolveRelative(base, decodeURIComponent(rawPath));
        } catch {
          this.problem('EBUNDLE', `${who} is not a usable relative link`);
          continue;
        }
        if (target.startsWith('../') || target === '..') {
          this.problem('EBUNDLE', `${who} escapes the zip root`);
          continue;
        }
        if (page === `${PYPI_SIMPLE}/index.html`) {
          if (!this.files.has(`${target.replace(/\/$/, '')}/index.html`)) this.problem('EBUNDLE', `${who} names a project page that is not in the zip`);
          continue;
        }
        linked.add(target);
        const hash = /^sha256=([0-9a-fA-F]{64})$/.exec(fragment ?? '');
        if (!hash) this.problem('EBUNDLE', `${who} has no #sha256= fragment`);
        await this.checkFile(target, { sha256: hash?.[1] }, who);
      }
    }
    for (const d of dists) if (!linked.has(d)) this.warnings.push(`${d} is not linked from any ${PYPI_SIMPLE} page (pip will never find it)`);
  }
}

/** True when a zip entry name could land outside the directory it is unzipped into. */
function unsafeName(name: string): boolean {
  return (
    name === '' ||
    name.startsWith('/') ||
    /^[a-zA-Z]:/.test(name) ||
    name.includes('\\') ||
    name.includes('\0') ||
    name.replace(/\/+$/, '').split('/').some((s) => s === '..')
  );
}

/**
 * Why a name cannot be extracted as it is: control characters (a newline
 * forges listings; looked for in the raw bytes, since names without the UTF-8
 * flag decode as CP437, where they are printable), a segment past 255 bytes.
 */
function unusableName(name: string, raw: Buffer): string | undefined {
  if (raw.some((b) => b < 0x20 || b === 0x7f)) return 'has a control character in its name (newline, tab, ...)';
  if (name.split('/').some((s) => Buffer.byteLength(s) > 255)) return 'has a path segment longer than 255 bytes, which no Linux file system can create';
  return undefined;
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i === -1 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

/** `pypi/simple/x` + `../../files/a.whl` -> `pypi/files/a.whl` (may start with `../` when it escapes). */
function resolveRelative(base: string, rel: string): string {
  const out = base.split('/').filter(Boolean);
  const parts = rel.split('/');
  const trailing = rel.endsWith('/');
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (out.length === 0 || out[out.length - 1] === '..') out.push('..');
      else out.pop();
    } else out.push(p);
  }
  return out.join('/') + (trailing ? '/' : '');
}
