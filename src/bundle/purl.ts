// Package URLs (purl, https://github.com/package-url/purl-spec) for what a zip
// carries, built with packageurl-js so encoding and per-type normalisation
// follow the spec:
//   conda    pkg:conda/zlib@1.2.11?build=h7b6447c_3&channel=pkgs/main&subdir=linux-64&type=conda
//            (types/conda-definition.json: qualifiers build, channel, subdir, type)
//   pypi     pkg:pypi/typing-extensions@4.9.0?file_name=typing_extensions-4.9.0-py3-none-any.whl
//            (name lower-cased, `_` -> `-`; file_name picks the exact distribution file)
//   generic  pkg:generic/miniforge3@24.7.1-0?download_url=https%3A%2F%2Fgithub.com%2F...
//            (installers and manifest dependencies: no ecosystem, so the URL says what it is)
// Every URL inside a purl is redacted first: an SBOM is shared.
import { PackageURL } from 'packageurl-js';
import { redactUrl } from '../core/redact.js';

/**
 * The conda channel as conda users name it: `conda-forge` for
 * https://conda.anaconda.org/conda-forge (an anaconda.org token path dropped),
 * `pkgs/main` for https://repo.anaconda.com/pkgs/main, else the redacted URL.
 */
export function condaChannelName(channelUrl: string): string {
  const url = redactUrl(channelUrl.trim()).replace(/\/+$/, '');
  const anacondaOrg = /^https?:\/\/conda\.anaconda\.org\/(?:t\/[^/]+\/)?(.+)$/i.exec(url);
  if (anacondaOrg) return anacondaOrg[1]!;
  const repo = /^https?:\/\/repo\.anaconda\.com\/(pkgs\/.+)$/i.exec(url);
  if (repo) return repo[1]!;
  return url;
}

/** `.conda` or `tar.bz2`: the purl `type` qualifier of a conda package file. */
function condaFileType(filename: string): string | undefined {
  if (filename.endsWith('.conda')) return 'conda';
  if (filename.endsWith('.tar.bz2')) return 'tar.bz2';
  return undefined;
}

/** pkg:conda purl of a locked conda package. */
export function condaPurl(p: { name: string; version: string; build?: string; channel?: string; subdir?: string; filename: string }): string {
  const q: Record<string, string> = {};
  if (p.build) q.build = p.build;
  if (p.channel) q.channel = condaChannelName(p.channel);
  if (p.subdir) q.subdir = p.subdir;
  const type = condaFileType(p.filename);
  if (type) q.type = type;
  return new PackageURL('conda', null, p.name, p.version, q, null).toString();
}

/** pkg:pypi purl of a wheel or sdist. */
export function pypiPurl(p: { name: string; version: string; filename: string }): string {
  return new PackageURL('pypi', null, p.name, p.version, { file_name: p.filename }, null).toString();
}

/** pkg:generic purl of a file known only by its URL (installers, manifest dependencies). */
export function genericPurl(p: { name: string; version: string; url: string; sha256?: string }): string {
  const q: Record<string, string> = { download_url: redactUrl(p.url) };
  if (p.sha256) q.checksum = `sha256:${p.sha256.toLowerCase()}`;
  return new PackageURL('generic', null, p.name, p.version, q, null).toString();
}
