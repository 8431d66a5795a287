// Picks one installer from an index listing for a flavor, a version (or
// `latest` / `py311_latest`) and a platform. Pure: listings in, one listing out.
import { PackagerError } from '../../core/errors.js';
import { redactUrl } from '../../core/redact.js';
import type { InstallerListing } from './installer-index.js';
import { compareInstallerVersions, latestRequest, parseInstallerName } from './installer-name.js';

export interface InstallerChoice {
  listing: InstallerListing;
  /** The concrete version (never `latest`). */
  version: string;
  sha256: string;
}

/**
 * Finds `flavor` `version` for `platform` among `listings` (from `indexUrl`).
 * `latest` means the newest concrete version, never the moving `-latest-`
 * file, whose bytes change under the same name. Throws ENOTFOUND listing the
 * versions the index has, or EBADINDEX when the chosen row has no sha256.
 */
export function selectInstaller(
  listings: readonly InstallerListing[],
  want: { flavor: string; version: string; platform: string },
  indexUrl: string,
): InstallerChoice {
  const shown = redactUrl(indexUrl);
  const candidates = listings
    .map((listing) => ({ listing, name: parseInstallerName(listing.filename) }))
    .filter((c) => c.name && c.name.flavor === want.flavor && c.name.platform === want.platform && c.name.ext === 'sh' && c.name.version !== 'latest')
    .map((c) => ({ listing: c.listing, version: c.name!.version }))
    .sort((a, b) => compareInstallerVersions(b.version, a.version));
  const available = [...new Set(candidates.map((c) => c.version))];

  const latest = latestRequest(want.version);
  let chosen: (typeof candidates)[number] | undefined;
  if (latest) {
    chosen = candidates.find((c) => latest.python === undefined || c.version.startsWith(`py${latest.python}_`));
  } else {
    chosen = candidates.find((c) => c.version === want.version);
  }
  if (!chosen) {
    const otherPlatforms = listings
      .map((l) => parseInstallerName(l.filename))
      .filter((n) => n && n.flavor === want.flavor && n.version === want.version && n.platform !== want.platform)
      .map((n) => n!.platform);
    const what = `${want.flavor} ${want.version} for ${want.platform}`;
    throw new PackagerError('ENOTFOUND', `No installer ${what} in the installer index: ${shown}`, {
      url: shown,
      wanted: what,
      found: available.length ? `${available.length} versions for ${want.platform}, newest ${available[0]}` : `no ${want.flavor} installers for ${want.platform}`,
      available,
      ...(otherPlatforms.length ? { other_platforms: [...new Set(otherPlatforms)] } : {}),
      hint: available.length
        ? `Use one of the listed versions (e.g. version: ${available[0]}), or version: latest.`
        : `The index has no ${want.flavor} installer for ${want.platform}; check the flavor and the stack.`,
    });
  }
  if (!chosen.listing.sha256) {
    throw new PackagerError('EBADINDEX', `Installer index lists ${chosen.listing.filename} without a valid SHA256: ${shown}`, {
      url: shown,
      found: chosen.listing.badSha256 || '(empty)',
      wanted: '64 hexadecimal characters',
      hint: 'Pin another version, or check the page: a truncated or changed layout can cause this.',
    });
  }
  return { listing: chosen.listing, version: chosen.version, sha256: chosen.listing.sha256 };
}
