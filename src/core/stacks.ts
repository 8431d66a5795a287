// What each Cloud Foundry stack can run, so resolvers pick installers, conda
// subdirs and wheels the stack can load. Sources: the cflinuxfs3/4/5 stack
// images are Ubuntu 18.04/22.04/24.04 on x86_64 (glibc 2.27/2.35/2.39).

export interface StackInfo {
  name: string;
  /** Machine architecture as `uname -m` prints it. */
  arch: 'x86_64' | 'aarch64';
  /** glibc version of the stack image (decides manylinux wheels). */
  glibc: [number, number];
  /** conda platform subdir. */
  condaSubdir: 'linux-64' | 'linux-aarch64';
  /** Miniconda/Miniforge installer platform suffix. */
  installerPlatform: 'Linux-x86_64' | 'Linux-aarch64';
}

const STACKS: Record<string, StackInfo> = {
  cflinuxfs3: { name: 'cflinuxfs3', arch: 'x86_64', glibc: [2, 27], condaSubdir: 'linux-64', installerPlatform: 'Linux-x86_64' },
  cflinuxfs4: { name: 'cflinuxfs4', arch: 'x86_64', glibc: [2, 35], condaSubdir: 'linux-64', installerPlatform: 'Linux-x86_64' },
  cflinuxfs5: { name: 'cflinuxfs5', arch: 'x86_64', glibc: [2, 39], condaSubdir: 'linux-64', installerPlatform: 'Linux-x86_64' },
};

/** The stack packaging targets when the manifest names none and `--stack` is not given. */
export const DEFAULT_STACK = 'cflinuxfs4';

/** Facts about a known stack, or undefined for stacks this buildpack does not know. */
export function stackInfo(name: string): StackInfo | undefined {
  return STACKS[name];
}

/** Every stack this buildpack knows, by name. */
export function knownStacks(): string[] {
  return Object.keys(STACKS);
}
