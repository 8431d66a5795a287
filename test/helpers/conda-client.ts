// The real conda client some tests compare against or stage with: the path in
// CONDA_CLIENT (any conda >= 23). Unset, those tests are skipped and say so once
// per file, naming the doc that tells how to get one.

/** Path of a real conda executable, or undefined when CONDA_CLIENT is unset. */
export const CONDA_CLIENT: string | undefined = process.env.CONDA_CLIENT || undefined;

/** Prints, when CONDA_CLIENT is unset, which tests are skipped and how to run them. */
export function warnIfNoCondaClient(what: string): void {
  if (CONDA_CLIENT) return;
  console.warn(`[real conda] CONDA_CLIENT is unset: ${what} SKIPPED. Set CONDA_CLIENT to a conda >= 23 executable to run them (docs/TESTING.md, "A real conda client").`);
}

/**
 * Environment for the real conda in its own HOME: an empty condarc, a package
 * cache under `home`, and the virtual packages of a cflinuxfs4-like linux-64
 * stack (glibc 2.35, no CUDA) whatever this machine has.
 */
export function isolatedCondaEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    CONDARC: `${home}/condarc`,
    CONDA_PKGS_DIRS: `${home}/pkgs`,
    CONDA_OVERRIDE_GLIBC: '2.35',
    CONDA_OVERRIDE_CUDA: '',
  };
}
