// A content-addressed file cache in the style of npm's cacache:
//
//   <cache>/content-v2/sha256/abcdef0123...     verified files, named by digest
//   <cache>/content-v2/md5/abcdef0123...        legacy md5-only manifest entries
//   <cache>/tmp/sha256-<hex>.<owner>.partial(.json)  a download and its resume validator
//   <cache>/http-v1/                            index pages and repodata (http-document.ts)
//
// An entry appears only by rename of a complete, verified file, and nothing
// writes to it after: readers see a whole file or none. Every hit is re-hashed
// before use (check()).
//
// A partial belongs to the process named in it (`<pid>-<random>@<host>`): only
// that process writes it, and another takes it over (by rename, so one wins)
// only once the owner is provably gone: its pid is dead on this host, or, for
// another host, the partial has not been written for ABANDONED_AFTER_MS.
//
// One flat directory per algorithm, unlike cacache's `ab/cd/` fan-out (which
// content-v1 used: an entry still there is moved over on its first lookup).
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ssri from 'ssri';
import { PackagerError } from '../core/errors.js';
import { type HashAlgorithm } from '../core/integrity.js';
import { processAlive } from '../core/process-alive.js';
import { digestFile, hexOf, integrityOf } from './digests.js';
import { diskError } from './fetch-errors.js';
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

/** The partial file one download writes, owned by this process until release(). */
export interface Lease {
  /** Partial body. */
  data: string;
  /** JSON beside it: the validator (ETag/Last-Modified) that makes a Range resume safe. */
  meta: string;
  /** `data` holds the bytes of a dead owner's download, to be resumed (else it does not exist yet). */
  resumable: boolean;
  /** Lets go of the partial: kept for a later resume, or removed with `discard`. */
  release(o: { discard: boolean }): void;
}

export interface PartialMeta {
  /** Strong ETag or Last-Modified of the response the partial bytes came from (for If-Range). */
  validator?: string;
  /** Redacted URL, for a human looking at the directory. */
  url?: string;
}

/** A partial of another host that has not been written for this long is abandoned. */
const ABANDONED_AFTER_MS = 30 * 60_000;

const HOST = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'localhost';
// `<algo>-<hex>.<pid>-<random>@<host>.partial`
const PARTIAL_NAME = /^((?:sha256|md5)-[0-9a-f]+)\.(\d+)-[0-9a-f]+@(.+)\.partial$/;

/** Partials this process is writing: a partial named with our pid and not here was left by an earlier process with the same pid. */
const writing = new Set<string>();

function isENOENT(err: unknown): boolean {
  return (err as { code?: string }).code === 'ENOENT';
}

function removeIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if (!isENOENT(err)) throw err;
  }
}

/** Whether the owner named in a partial's file name can no longer write it. */
function ownerGone(file: string, name: string): boolean {
  const m = PARTIAL_NAME.exec(name);
  if (!m) return false;
  if (m[3] === HOST) return Number(m[2]) === process.pid ? !writing.has(file) : !processAlive(Number(m[2]));
  try {
    return Date.now() - statSync(file).mtimeMs > ABANDONED_AFTER_MS;
  } catch {
    return false;
  }
}

export class ContentCache {
  readonly dir: string;
  /** Directories this instance has made (or found): each is made once per run, not once per file. */
  private readonly made = new Set<string>();
  /** Names in tmp/ when first asked (empty when it could not be listed): the partials a lease may take over. */
  private tmpAtStart: Promise<string[]> | undefined;
  /** Whether a content-v1 tree exists (see adoptLegacy). */
  private hasLegacy: boolean | undefined;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  /** mkdir -p, once per directory per instance. */
  private ensureDir(dir: string): void {
    if (this.made.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    this.made.add(dir);
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

  /** Moves the entry for `key` from content-v1 to its content-v2 path; false when there is none. */
  private adoptLegacy(key: ContentKey): boolean {
    this.hasLegacy ??= (() => {
      try {
        return statSync(path.join(this.dir, 'content-v1')).isDirectory();
      } catch {
        return false;
      }
    })();
    if (!this.hasLegacy) return false;
    const final = this.contentPath(key);
    try {
      this.ensureDir(path.dirname(final));
      renameSync(this.legacyPath(key), final);
      return true;
    } catch (err) {
      if (isENOENT(err)) return false;
      throw diskError(err, undefined, final);
    }
  }

  /** Entry path for an SRI string (whether or not it exists). */
  pathFor(integrity: string): string {
    return this.contentPath(ContentCache.keyOf(integrity));
  }

  /**
   * Re-hashes the entry for `key`. A corrupt or wrong-sized entry is removed so
   * the caller fetches it again; a sound one comes back with its digests.
   */
  check(key: ContentKey, size?: number): CacheCheck {
    const file = this.contentPath(key);
    const hashIt = () => {
      try {
        return digestFile(file, key.algorithm);
      } catch (err) {
        if (isENOENT(err)) return undefined;
        throw diskError(err, undefined, file);
      }
    };
    const digests = hashIt() ?? (this.adoptLegacy(key) ? hashIt() : undefined);
    if (!digests) return { status: 'missing' };
    const hex = hexOf(digests, key.algorithm)!;
    if (hex !== key.hex.toLowerCase() || (size !== undefined && digests.size !== size)) {
      removeIfPresent(file);
      return { status: 'corrupt', wanted: `${key.algorithm} ${key.hex}`, found: `${key.algorithm} ${hex} (${digests.size} bytes)` };
    }
    return { status: 'ok', file: { path: file, ...digests, integrity: integrityOf(digests), fromCache: true } };
  }

  /** Verifies the entry for an SRI string (see check). */
  verify(integrity: string, size?: number): CacheCheck {
    return this.check(ContentCache.keyOf(integrity), size);
  }

  /** Size of the entry for an SRI string, or undefined when there is none (not verified: for estimates). */
  sizeOf(integrity: string): number | undefined {
    try {
      return statSync(this.pathFor(integrity)).size;
    } catch {
      return undefined;
    }
  }

  /** Publishes a complete, verified temp file as the entry for `key` (rename: atomic on one file system). */
  publish(tmpFile: string, key: ContentKey): string {
    const final = this.contentPath(key);
    try {
      this.ensureDir(path.dirname(final));
      renameSync(tmpFile, final);
    } catch (err) {
      throw diskError(err, undefined, final);
    }
    return final;
  }

  /** A private temp path under `<cache>/tmp/` (same file system as the entries). */
  tempPath(suffix = '.tmp'): string {
    this.makeTmpDir();
    return path.join(this.tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}${suffix}`);
  }

  private makeTmpDir(): void {
    try {
      this.ensureDir(this.tmpDir);
    } catch (err) {
      throw diskError(err, undefined, this.tmpDir);
    }
  }

  /**
   * A partial file of this process's own for a download of `key`: a dead
   * owner's partial of the same key taken over (renamed, so no other run can
   * take it too) when this run's first look at tmp/ found one, else a new name.
   */
  async lease(key: ContentKey): Promise<Lease> {
    this.makeTmpDir();
    // Listed once, before this run writes any partial: a partial that appears
    // later (another run killed since) is left for the next run.
    const listed = await this.tmpListing();
    const prefix = `${key.algorithm}-${key.hex.toLowerCase()}.`;
    const data = path.join(this.tmpDir, `${prefix}${process.pid}-${randomBytes(4).toString('hex')}@${HOST}.partial`);
    writing.add(data);
    let resumable = false;
    for (const name of listed) {
      if (!name.startsWith(prefix) || !name.endsWith('.partial')) continue;
      const old = path.join(this.tmpDir, name);
      if (!ownerGone(old, name)) continue;
      if (resumable) {
        this.discardPartial(old); // one resume is enough
        continue;
      }
      try {
        renameSync(old, data);
      } catch (err) {
        if (isENOENT(err)) continue; // another run took it over first
        writing.delete(data);
        throw diskError(err, undefined, old);
      }
      resumable = true;
      // no validator (or a lost race for it): the attempt starts at byte 0
      try {
        renameSync(`${old}.json`, `${data}.json`);
      } catch {
        removeIfPresent(`${data}.json`);
      }
    }
    return {
      data,
      meta: `${data}.json`,
      resumable,
      release: ({ discard }) => {
        writing.delete(data);
        if (discard) this.discardPartial(data);
      },
    };
  }

  /** Removes the partials of `key` whose owners are gone (a run killed after it published the entry). */
  async forgetAbandonedDownloads(key: ContentKey): Promise<void> {
    const prefix = `${key.algorithm}-${key.hex.toLowerCase()}.`;
    for (const name of await this.tmpListing()) {
      if (!name.startsWith(prefix) || !name.endsWith('.partial')) continue;
      const file = path.join(this.tmpDir, name);
      if (ownerGone(file, name)) this.discardPartial(file);
    }
  }

  /** What tmp/ held when first asked in this run (nothing when it could not be listed). */
  private tmpListing(): Promise<string[]> {
    return (this.tmpAtStart ??= readdir(this.tmpDir).catch(() => []));
  }

  /** Reads a partial's metadata (undefined when absent or unreadable). */
  async readPartialMeta(lease: Lease): Promise<PartialMeta | undefined> {
    try {
      return JSON.parse(await readFile(lease.meta, 'utf8')) as PartialMeta;
    } catch {
      return undefined;
    }
  }

  /** Removes a partial and its validator (best effort: a leftover is cleaned by a later run). */
  discardPartial(data: string): void {
    for (const f of [data, `${data}.json`]) {
      try {
        removeIfPresent(f);
      } catch {
        // left for a later run
      }
    }
  }
}
