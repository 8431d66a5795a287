// resolve/miniconda: the manifest's `miniconda:` entries -> exact, checksummed
// installer lock entries (Miniconda from the archive listing page, Miniforge from
// release `.sha256` files). Reads documents only through the injected
// fetchDocument; never downloads an installer, never imports another resolver.
import { readFile, stat } from 'node:fs/promises';
import { PackagerError, isPackagerError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { redactUrl } from '../../core/redact.js';
import { checkNetworkReference } from '../../core/network-reference.js';
import { knownStacks, stackInfo } from '../../core/stacks.js';
import { compareLockEntries } from '../../manifest/lock.js';
import type { LockEntry, MinicondaSpec } from '../../manifest/types.js';
import { parseInstallerIndex, type InstallerListing } from './installer-index.js';
import { installerFilename, latestRequest } from './installer-name.js';
import { selectInstaller } from './select.js';
import { parseSha256File } from './sha256-file.js';

export { parseInstallerIndex, parseSizeText, type InstallerListing } from './installer-index.js';
export { parseInstallerName, parseInstallerVersion, compareInstallerVersions, installerFilename } from './installer-name.js';
export { selectInstaller, type InstallerChoice } from './select.js';
export { parseSha256File } from './sha256-file.js';

export const DEFAULT_MINICONDA_BASE_URL = 'https://repo.anaconda.com/miniconda/';
export const DEFAULT_MINIFORGE_BASE_URL = 'https://github.com/conda-forge/miniforge/releases/download/';

// An index page is tens of kilobytes; anything far larger is not one.
const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

export interface ResolveInstallersContext {
  /** Stacks being packaged; a spec's cf_stacks outside them are skipped (all of the spec's when empty). */
  stacks: string[];
  /** Fetches a small document (index page, .sha256) into a file; cli/ passes fetch's fetchDocument. */
  fetchDocument: (url: string) => Promise<{ path: string }>;
  logger: Logger;
  /** Default https://repo.anaconda.com/miniconda/ (a spec's index_url wins). */
  minicondaBaseUrl?: string;
  /** Default https://github.com/conda-forge/miniforge/releases/download/ (a spec's index_url wins). */
  miniforgeBaseUrl?: string;
}

/**
 * Resolves each spec to one lock entry per installer platform its stacks need
 * (`kind: installer`, name `miniconda3`/`miniforge3`, concrete version, URL,
 * sha256, size, cf_stacks). Entries come back in lock order; the same file
 * wanted by two specs is one entry with the union of their stacks.
 */
export async function resolveInstallers(specs: MinicondaSpec[], ctx: ResolveInstallersContext): Promise<LockEntry[]> {
  const byUri = new Map<string, LockEntry>();
  const pages = new Map<string, Promise<InstallerListing[]>>();
  const indexOf = (url: string) => {
    let page = pages.get(url);
    if (!page) {
      page = readIndex(url, ctx);
      pages.set(url, page);
    }
    return page;
  };

  for (const [i, spec] of specs.entries()) {
    const key = `miniconda[${i}]`;
    const stacks = ctx.stacks.length ? spec.cf_stacks.filter((s) => ctx.stacks.includes(s)) : [...spec.cf_stacks];
    if (stacks.length === 0) {
      ctx.logger.debug(`Skipping ${spec.flavor} ${spec.version}: none of its stacks (${spec.cf_stacks.join(', ')}) is being packaged`);
      continue;
    }
    for (const [platform, platformStacks] of groupByPlatform(stacks, key)) {
      const entry =
        spec.flavor === 'Miniconda3'
          ? await resolveMiniconda(spec, platform, platformStacks, ctx, indexOf)
          : await resolveMiniforge(spec, platform, platformStacks, ctx, key);
      const seen = byUri.get(entry.uri);
      if (seen) seen.cf_stacks = [...new Set([...seen.cf_stacks, ...entry.cf_stacks])].sort();
      else byUri.set(entry.uri, entry);
    }
  }
  return [...byUri.values()].sort(compareLockEntries);
}

function groupByPlatform(stacks: string[], key: string): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const stack of stacks) {
    const info = stackInfo(stack);
    if (!info) {
      throw new PackagerError('EMANIFEST', `Unknown stack for an installer: ${stack}`, {
        key: `${key}.cf_stacks`,
        wanted: knownStacks().join(', '),
        found: stack,
        hint: `Installers are resolved per stack platform; use one of: ${knownStacks().join(', ')}.`,
      });
    }
    groups.set(info.installerPlatform, [...(groups.get(info.installerPlatform) ?? []), stack]);
  }
  return groups;
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

async function resolveMiniconda(
  spec: MinicondaSpec,
  platform: string,
  stacks: string[],
  ctx: ResolveInstallersContext,
  indexOf: (url: string) => Promise<InstallerListing[]>,
): Promise<LockEntry> {
  const pageUrl = withSlash(spec.index_url ?? ctx.minicondaBaseUrl ?? DEFAULT_MINICONDA_BASE_URL);
  const listings = await indexOf(pageUrl);
  const choice = selectInstaller(listings, { flavor: spec.flavor, version: spec.version, platform }, pageUrl);
  const uri = new URL(choice.listing.href ?? choice.listing.filename, pageUrl).toString();
  checkNetworkReference(pageUrl, uri, { what: 'The installer index', hint: 'an installer index served over http(s) may only link http(s) files' });
  const exact = choice.listing.sizeExact && choice.listing.size !== undefined;
  ctx.logger.info(
    `Resolved ${spec.flavor} ${spec.version} for ${stacks.join(', ')}: ${choice.listing.filename} (sha256 ${choice.sha256.slice(0, 12)}...)`,
  );
  return {
    kind: 'installer',
    name: 'miniconda3',
    flavor: spec.flavor,
    version: choice.version,
    filename: choice.listing.filename,
    uri: redactUrl(uri),
    sha256: choice.sha256,
    size: choice.listing.size ?? 0,
    ...(exact ? {} : { size_approximate: true }),
    depends: [],
    cf_stacks: [...stacks].sort(),
  };
}

async function resolveMiniforge(
  spec: MinicondaSpec,
  platform: string,
  stacks: string[],
  ctx: ResolveInstallersContext,
  key: string,
): Promise<LockEntry> {
  // GitHub publishes no listing with checksums to choose "the newest" from
  // (the API is rate-limited and absent on mirrors), so Miniforge versions are
  // pinned; the lock then records exactly what was checked.
  if (latestRequest(spec.version)) {
    throw new PackagerError('EMANIFEST', `Miniforge3 needs an exact version, not "${spec.version}"`, {
      key: `${key}.version`,
      found: spec.version,
      wanted: 'a release tag such as 24.7.1-0',
      hint: 'Pick a release from https://github.com/conda-forge/miniforge/releases and write it as version: 24.7.1-0.',
    });
  }
  if (!/^\d+(\.\d+)+(-\d+)?$/.test(spec.version)) {
    throw new PackagerError('EMANIFEST', `Not a Miniforge3 version: ${spec.version}`, {
      key: `${key}.version`,
      found: spec.version,
      wanted: 'a release tag such as 24.7.1-0',
      hint: 'Miniforge versions are release tags (24.7.1-0); `py311_...` versions belong to Miniconda3.',
    });
  }
  const filename = installerFilename('Miniforge3', spec.version, platform);
  const base = withSlash(spec.index_url ?? ctx.miniforgeBaseUrl ?? DEFAULT_MINIFORGE_BASE_URL);
  const uri = new URL(`${encodeURIComponent(spec.version)}/${filename}`, base).toString();
  const sumUrl = `${uri}.sha256`;
  let text: string;
  try {
    text = await readDocument(await ctx.fetchDocument(sumUrl), sumUrl);
  } catch (err) {
    if (isPackagerError(err, 'EHTTP') && (err.details.status === 404 || err.details.status === 410)) {
      const what = `Miniforge3 ${spec.version} for ${platform}`;
      throw new PackagerError(
        'ENOTFOUND',
        `No installer ${what}: ${redactUrl(sumUrl)} does not exist`,
        {
          url: redactUrl(sumUrl),
          wanted: what,
          hint: 'Check the version against https://github.com/conda-forge/miniforge/releases (tags look like 24.7.1-0).',
        },
        { cause: err },
      );
    }
    throw err;
  }
  const sha256 = parseSha256File(text, filename, sumUrl);
  ctx.logger.info(`Resolved Miniforge3 ${spec.version} for ${stacks.join(', ')}: ${filename} (sha256 ${sha256.slice(0, 12)}...)`);
  return {
    kind: 'installer',
    name: 'miniforge3',
    flavor: 'Miniforge3',
    version: spec.version,
    filename,
    uri: redactUrl(uri),
    sha256,
    // The release publishes no size next to the checksum: unknown until download.
    size: 0,
    size_approximate: true,
    depends: [],
    cf_stacks: [...stacks].sort(),
  };
}

async function readIndex(url: string, ctx: ResolveInstallersContext): Promise<InstallerListing[]> {
  ctx.logger.debug(`Reading installer index ${redactUrl(url)}`);
  const html = await readDocument(await ctx.fetchDocument(url), url);
  return parseInstallerIndex(html, url);
}

async function readDocument(doc: { path: string }, url: string): Promise<string> {
  const { size } = await stat(doc.path);
  if (size > MAX_DOCUMENT_BYTES) {
    throw new PackagerError('EBADINDEX', `Not an installer index (${size} bytes is far too large for one): ${redactUrl(url)}`, {
      url: redactUrl(url),
      hint: 'Check that the base URL points at a listing page, not at an installer.',
    });
  }
  return readFile(doc.path, 'utf8');
}
