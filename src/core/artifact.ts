// An Artifact is one file the packager must put in an offline zip: a manifest
// dependency, a Miniconda installer, a conda package, a wheel or an sdist.
// Resolvers and the manifest loader produce them; fetch downloads them;
// bundle places them. Integrity is an SRI string made once, at the boundary.

export type ArtifactKind = 'dependency' | 'installer' | 'conda' | 'wheel' | 'sdist';

export interface Artifact {
  kind: ArtifactKind;
  name: string;
  version: string;
  /** URL exactly as the manifest or lock writes it; may carry credentials, so never log it raw. */
  url: string;
  /** SRI string (`sha256-<base64>`; `md5-<base64>` only for legacy manifests). */
  integrity: string;
  /** Size in bytes when the index published it. */
  size?: number;
}

/** Short label for logs: `numpy 1.26.4`. */
export function artifactLabel(a: Pick<Artifact, 'name' | 'version'>): string {
  return a.version ? `${a.name} ${a.version}` : a.name;
}
