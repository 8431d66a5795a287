// A content-addressed file cache in the style of npm's cacache:
//
//   <cache>/content-v2/sha256/abcdef0123...     verified files, named by digest
//   <cache>/content-v2/md5/abcdef0123...        legacy md5-only manifest entries
//   <cache>/tmp/sha256-<hex>.partial(.json)     an interrupted download + its validator
//   <cache>/tmp/sha256-<hex>.lock               `<pid> <host>` of the process writing that partial
//   <cache>/http-v1/                            index pages and repodata (http-document.ts)
//
// Entries appear only by rename after verification, so a reader never sees a
// half-written file under a final name; every hit is re-hashed before use
// (check(); or, after peek(), by the caller as it reads it: writeZip).
//
// One flat directory per algorithm, unlike cacache's `ab/cd/` fan-out (which
// content-v1 used): ext4, xfs and btrfs index large directories, and the two
// directory levels cost two inodes and a mkdir per new entry, which on this
// machine's ext4 made a cold run of 300 small files ~0.45 s slower
// (bench/BENCHMARKS.md). An entry still under content-v1/ is moved over on
// its first lookup (then re-hashed as usual), so an old cache stays warm.
import { randomBytes } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ssri from 'ssri';
import { PackagerError } from '../core/errors.js';
import { type HashAlgorithm } from '../core/integrity.js';
import { Digests, digestFile, type DigestResult } from './digests.js';
import { diskError } from './fetch-errors.js';
import { makeDirs, renamePath, statPath, unlinkIfPresent, writeSmallFile } from './quick-fs.js';
import { rememberFingerprinted } from './verified-files.js';
import type { CachedFile } from './options.js';

/** `$XDG_CACHE_HOME/<name>` or `~/.cache/<name>` (XDG Base Directory spec). */
export function defaultCacheDir(packageName: string): string {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, packageName);
}

/** Which digest names an entry. */
export interface ContentKey {
  algorithm: HashAlgorithm;
  hex: string;
}

export type CacheCheck =
  | { status: 'missing' }
  | { status: 'corrupt'; wanted: string; found: string }
  | { status: 'ok'; file: CachedFile };

/** Where one download writes before it is verified, and how to let go of it. */
export interface Lease {
  /** Partial body. */
  data: string;
  /** JSON beside it: the validator (ETag/Last-Modified) that makes a Range resume safe. */
  meta: string;
  /** False when another live process holds the shared partial: this one gets a private temp file. */
  shared: boolean;
  /**
   * A partial may already be there: it was in tmp/ when this run first looked
   * (or tmp/ could not be listed). False for a fresh download, which then
   * needs no stat to know it starts at byte 0.
   */
  hadPartial: boolean;
  release(): Promise<void>;
}

export interface PartialMeta {
  /** Strong ETag or Last-Modified of the response the partial bytes came from (for If-Range). */
  validator?: string;
  /** Redacted URL, for a human looking at the directory. */
  url?: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** A lock whose partial has not grown for this long is abandoned (pid reused, or another host died). */
const ABANDONED_AFTER_MS = 30 * 60_000;
/** How long an empty lock may still be getting its `<pid> <host>` (see lockIsHeld). */
const LOCK_FILL_WAIT_MS = 100;

// Lock file body: `<pid> <hostname>`. A pid only means something on its own host
// (the cache may sit on a shared disk), so elsewhere only the age counts.
async function lockIsHeld(lock: string, partial: string): Promise<boolean> {
  const body = async () => (await readFile(lock, 'utf8').catch(() => '')).trim();
  let text = await body();
  // A writer fills its lock in the same call that creates it, so an empty one
  // is either microseconds old or was left by a run killed in between: look
  // once more after a moment, and count it as abandoned if still empty.
  if (text === '') {
    await new Promise((r) => setTimeout(r, LOCK_FILL_WAIT_MS));
    text = await body();
    if (text === '') return false;
  }
  const [pidText, host] = text.split(' ');
  const pid = Number(pidText);
  const mtimes = await Promise.all([lock, partial].map((f) => stat(f).then((s) => s.mtimeMs, () => 0)));
  if (Date.now() - Math.max(...mtimes) > ABANDONED_AFTER_MS) return false;
  if (host !== os.hostname()) return true;
  return Number.isInteger(pid) && pid > 0 && isAlive(pid);
}

export class ContentCache {
  readonly dir: string;
  /** Directories this instance has made (or found): each is made once per run, not once per file. */
  private readonly made = new Map<string, Promise<unknown>>();
  /** Names in tmp/ when first asked, undefined when it could not be listed (see forgetAbandonedDownload and lease). */
  private tmpAtStart: Promise<Set<string> | undefined> | undefined;
  /** Whether a content-v1 tree exists (see adoptLegacy). */
  private hasLegacy: Promise<boolean> | undefined;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  /** mkdir -p, once per directory per instance (a failure is retried next time). */
  private async ensureDir(dir: string): Promise<void> {
    let p = this.made.get(dir);
    if (!p) {
      p = makeDirs(dir);
      this.made.set(dir, p);
      p.catch(() => this.made.delete(dir));
    }
    await p;
  }

  /** The digest that names an artifact's entry: its SRI's strongest sha256/md5 hash. */
  static keyOf(integrity: string, what?: string): ContentKey {
    let parsed: ssri.IntegrityMap;
    try {
      parsed = ssri.parse(integrity);
    } catch {
      parsed = {} as ssri.IntegrityMap;
    }
    for (const algorithm of ['sha256', 'md5'] as const) {
      const h = parsed?.[algorithm]?.[0];
      if (h) return { algorithm, hex: Buffer.from(h.digest, 'base64').toString('hex') };
    }
    throw new PackagerError('EINPUT', `No sha256 or md5 checksum${what ? ` for ${what}` : ''}: ${integrity || '(empty)'}`, {
      found: integrity,
      hint: 'Give the artifact a sha256 (or, for legacy manifests, an md5) checksum.',
    });
  }

  get tmpDir(): string {
    return path.join(this.dir, 'tmp');
  }

  /** `<cache>/content-v2/<algo>/<hex>`. */
  contentPath(key: ContentKey): string {
    return path.join(this.dir, 'content-v2', key.algorithm, key.hex.toLowerCase());
  }

  /** Where content-v1 (cacache's fan-out) kept the entry: `<cache>/content-v1/<algo>/ab/cd/<rest>`. */
  private legacyPath(key: ContentKey): string {
    const hex = key.hex.toLowerCase();
    return path.join(this.dir, 'content-v1', key.algorithm, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
  }

  /**
   * Moves the entry for `key` from content-v1 to its content-v2 path; false
   * when there is none. Looked for only when the cache has a content-v1 tree
   * (one stat per run), so a new cache pays nothing for it.
   */
  private async adoptLegacy(key: ContentKey): Promise<boolean> {
    this.hasLegacy ??= statPath(path.join(this.dir, 'content-v1')).then(
      () => true,
      () => false,
    );
    if (!(await this.hasLegacy)) return false;
    const final = this.contentPath(key);
    try {
      await this.ensureDir(path.dirname(final));
      await renamePath(this.legacyPath(key), final);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return false;
      throw diskError(err, undefined, final);
    }
  }

  /** Entry path for an SRI string (whether or not it exists). */
  pathFor(integrity: string): string {
    return this.contentPath(ContentCache.keyOf(integrity));
  }

  /**
   * Re-hashes the entry for `key`. A corrupt or wrong-sized entry is removed so
   * the caller fetches it again; a sound one comes back as a CachedFile.
   */
  async check(key: ContentKey, size?: number): Promise<CacheCheck> {
    const file = this.contentPath(key);
    // No stat first: the worker opens the file (ENOENT: a miss) and takes its
    // stat fingerprint itself, which saves two main-thread stats per hit.
    const found = await this.lookAdopting(key, (): Promise<DigestResult> => digestFile(file, key.algorithm, { fingerprint: true }));
    if (!found) return { status: 'missing' };
    const { fingerprint, ...digests } = found;
    const hex = Digests.hexOf(digests, key.algorithm)!;
    if (hex !== key.hex.toLowerCase() || (size !== undefined && digests.size !== size)) {
      await unlinkIfPresent(file);
      return { status: 'corrupt', wanted: `${key.algorithm} ${key.hex}`, found: `${key.algorithm} ${hex} (${digests.size} bytes)` };
    }
    rememberFingerprinted(file, digests, fingerprint);
    return { status: 'ok', file: { path: file, ...digests, fromCache: true } };
  }

  /**
   * The entry for `key` as it is on disk, not read: undefined when there is
   * none, or when `size` is given and differs (check() then removes it). For
   * callers that verify the bytes as they read them.
   */
  async peek(key: ContentKey, size?: number): Promise<{ path: string; size: number } | undefined> {
    const file = this.contentPath(key);
    const st = await this.lookAdopting(key, () => statPath(file));
    if (!st || !st.isFile() || (size !== undefined && st.size !== size)) return undefined;
    return { path: file, size: st.size };
  }

  /**
   * `look` at the entry for `key` (it rejects with ENOENT on a miss); on a
   * miss, adopt a content-v1 entry and look again. Undefined when there is none.
   */
  private async lookAdopting<T>(key: ContentKey, look: () => Promise<T>): Promise<T | undefined> {
    const attempt = async (): Promise<T | undefined> => {
      try {
        return await look();
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') return undefined;
        throw diskError(err, undefined, this.contentPath(key));
      }
    };
    return (await attempt()) ?? ((await this.adoptLegacy(key)) ? attempt() : undefined);
  }

  /** Verifies the entry for an SRI string (see check). */
  async verify(integrity: string, size?: number): Promise<CacheCheck> {
    return this.check(ContentCache.keyOf(integrity), size);
  }

  /** Size of the entry for an SRI string, or undefined when there is none (not verified: for estimates). */
  async sizeOf(integrity: string): Promise<number | undefined> {
    try {
      return (await statPath(this.pathFor(integrity))).size;
    } catch {
      return undefined;
    }
  }

  /** Moves a verified temp file to its final name (atomic: same file system). */
  async commit(tmpFile: string, key: ContentKey): Promise<string> {
    const final = this.contentPath(key);
    try {
      await this.ensureDir(path.dirname(final));
      await renamePath(tmpFile, final);
    } catch (err) {
      throw diskError(err, undefined, final);
    }
    return final;
  }

  /** `<cache>/tmp/<algo>-<hex>`: the shared partial, validator and lock of a download of `key` add suffixes to it. */
  private downloadBase(key: ContentKey): string {
    return path.join(this.tmpDir, `${key.algorithm}-${key.hex.toLowerCase()}`);
  }

  /** A private temp path under `<cache>/tmp/` (same file system as the entries). */
  async tempPath(suffix = '.tmp'): Promise<string> {
    await this.ensureDir(this.tmpDir);
    return path.join(this.tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}${suffix}`);
  }

  /**
   * Where to download `key`. The shared `<algo>-<hex>.partial` survives a killed
   * run so the next one can resume it; a lock file holding our pid keeps two
   * live writers apart (the loser gets a private temp file and starts at zero).
   */
  async lease(key: ContentKey): Promise<Lease> {
    await this.ensureDir(this.tmpDir).catch((err: unknown) => {
      throw diskError(err, undefined, this.tmpDir);
    });
    const base = this.downloadBase(key);
    const lock = `${base}.lock`;
    // Listed before this run takes any lock or writes any partial. A partial
    // that appears after the listing (another run killed since) is truncated,
    // not resumed: a lost resume, never a splice.
    const atStart = await this.tmpListing();
    for (let tries = 0; tries < 2; tries++) {
      try {
        await writeSmallFile(lock, `${process.pid} ${os.hostname()}`, { flag: 'wx' });
        return {
          data: `${base}.partial`,
          meta: `${base}.partial.json`,
          shared: true,
          hadPartial: atStart === undefined || atStart.has(path.basename(`${base}.partial`)),
          release: () => unlinkIfPresent(lock).catch(() => {}),
        };
      } catch (err) {
        if ((err as { code?: string }).code !== 'EEXIST') throw diskError(err, undefined, lock);
        if (await lockIsHeld(lock, `${base}.partial`)) break;
        await unlinkIfPresent(lock); // left by a killed run
      }
    }
    const data = await this.tempPath('.partial');
    return {
      data,
      meta: `${data}.json`,
      shared: false,
      hadPartial: false,
      release: async () => {
        await unlinkIfPresent(data);
        await unlinkIfPresent(`${data}.json`);
      },
    };
  }

  /**
   * Removes the lock, partial and validator of a download of `key` whose
   * process is gone (nothing when there are none, or their writer lives).
   */
  async forgetAbandonedDownload(key: ContentKey): Promise<void> {
    const base = this.downloadBase(key);
    const lock = `${base}.lock`;
    // One readdir per run instead of a stat per cache hit: a lock that appears
    // later belongs to a live download (or is cleaned by the next run).
    if (!(await this.tmpListing())?.has(path.basename(lock))) return;
    if (!(await stat(lock).then(() => true, () => false))) return;
    if (await lockIsHeld(lock, `${base}.partial`)) return;
    for (const f of [`${base}.partial`, `${base}.partial.json`, lock]) await unlinkIfPresent(f).catch(() => {});
  }

  /** What tmp/ held when first asked in this run (undefined when it could not be listed: missing, unreadable). */
  private tmpListing(): Promise<Set<string> | undefined> {
    return (this.tmpAtStart ??= readdir(this.tmpDir).then(
      (names) => new Set(names),
      () => undefined,
    ));
  }

  /** Reads a partial's metadata (undefined when absent or unreadable). */
  async readPartialMeta(lease: Lease): Promise<PartialMeta | undefined> {
    try {
      return JSON.parse(await readFile(lease.meta, 'utf8')) as PartialMeta;
    } catch {
      return undefined;
    }
  }

  /** Forgets a partial download (its bytes cannot be resumed). */
  async discardPartial(lease: Lease): Promise<void> {
    await unlinkIfPresent(lease.data);
    await unlinkIfPresent(lease.meta);
  }
}
