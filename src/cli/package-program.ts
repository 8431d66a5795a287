// bin/package: commander wiring only. Each action lives in its own module,
// imported when that command runs (so `--help` or `verify` loads no packager);
// this file parses flags, and runCommand() maps errors to exit codes.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { PackageOptions } from './package-command.js';
import { runCommand } from './run.js';
import { tolerateClosedPipes } from './closed-pipe.js';
import { EXIT_USAGE } from './exit-codes.js';
import { parseSizeArg } from './size-budget.js';
import { toolVersion } from './tool-version.js';
import { splitNames } from '../bundle/packaging-selection.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InvalidArgumentError('expected a whole number from 1 to 256');
  return n;
}

/** commander accumulator: `--exclude a,b --exclude c` -> [a, b, c]. */
function names(value: string, previous: string[] | undefined): string[] {
  return splitNames(value, previous);
}

/** The bin/package command tree. */
export function buildPackageProgram(setExit: (code: number) => void, argv: readonly string[] = process.argv): Command {
  // The mode as typed (`offline` or its alias `cached`), so messages speak the user's word.
  const typedMode = argv.slice(2).find((a) => !a.startsWith('-'));
  const program = new Command('package')
    .description('Package this buildpack into a zip for `cf create-buildpack`, resolve its lock, verify or summarise it.')
    .version(toolVersion(), '--tool-version', 'print the packager version')
    .showHelpAfterError()
    .exitOverride();

  for (const mode of ['offline', 'online'] as const) {
    const alias = mode === 'offline' ? 'cached' : 'uncached';
    program
      .command(mode)
      .alias(alias)
      .description(
        mode === 'offline'
          ? 'zip with every dependency, installer, conda package and wheel inside (for air-gapped staging)'
          : 'zip without dependencies; staging downloads them, pinned by sha256',
      )
      .option('--manifest <file>', 'manifest to package', 'manifest.yml')
      .option('--stack <stack>', 'package for one stack (adds `stack:` to the packaged manifest)')
      .option('--any-stack', 'package for every stack (the default)')
      .option('--version <version>', 'buildpack version (default: the VERSION file)')
      .option('--cache-dir <dir>', 'download cache (default: $XDG_CACHE_HOME or ~/.cache/conda-offline-buildpack)')
      .option('--output <zip>', 'zip path (default: <language>_buildpack[-cached][-<profile>][-<stack>]-v<version>.zip here)')
      .addOption(new Option('--concurrency <n>', 'downloads in flight at once').argParser(positiveInt).default(8))
      .option('--force-download', 'ignore cached downloads and fetch everything again')
      .option('--profile <name>', 'cached only: leave out what packaging_profiles.<name>.exclude lists (zip name gets -<name>)')
      .option('--exclude <names>', 'cached only: leave out these dependencies or installers, comma-separated (zip name gets -custom)', names)
      .option('--include <names>', 'cached only: put back names the --profile leaves out (zip name gets -<profile>+custom)', names)
      .addOption(
        new Option('--max-size <size>', 'fail before downloading when the zip would be larger: 500M, 1G or bytes (default: warn above 1G)').argParser(parseSizeArg),
      )
      .option('--sbom <file>', 'cached only: also write the zip\'s CycloneDX SBOM (sbom.cdx.json) to FILE')
      .option('--json', 'print one JSON result on stdout')
      .option('--verbose', 'show debug lines')
      .action(async (flags: Omit<PackageOptions, 'mode'> & { json?: boolean; verbose?: boolean }) => {
        setExit(
          await runCommand({ ...flags, onInterrupt: 'partial downloads are kept for resume, no zip is written' }, async (ctx) => {
            const modeWord = typedMode === alias || typedMode === mode ? typedMode : mode;
            const { packageBuildpack } = await import('./package-command.js');
            const result = await packageBuildpack({ ...flags, mode, modeWord }, ctx);
            process.stdout.write(ctx.json ? JSON.stringify(result, null, 2) + '\n' : result.zip + '\n');
          }),
        );
      });
  }

  program
    .command('resolve')
    .description('resolve the miniconda/conda/pip sections into manifest.lock.yml')
    .option('--manifest <file>', 'manifest to resolve', 'manifest.yml')
    .option('--update', 'resolve again even when the lock is up to date')
    .option('--cache-dir <dir>', 'download cache')
    .option('--json', 'print one JSON result on stdout')
    .option('--verbose', 'show debug lines')
    .action(async (flags: { manifest?: string; update?: boolean; cacheDir?: string; json?: boolean; verbose?: boolean }) => {
      setExit(await runCommand(flags, async (ctx) => (await import('./resolve-command.js')).resolveCommand(flags, ctx)));
    });

  program
    .command('verify')
    .description('check that a buildpack zip is complete and sound (exit 0 only if it is)')
    .argument('<zip>', 'zip to check')
    .option('--json', 'print one JSON result on stdout')
    .action(async (zip: string, flags: { json?: boolean }) => {
      setExit(await runCommand(flags, async (ctx) => (await import('./verify-command.js')).verifyCommand(zip, ctx)));
    });

  program
    .command('check')
    .description('would this app stage from this buildpack? resolves it against the zip (or the manifest\'s lock), no network')
    .argument('<app-dir>', 'the app directory you would `cf push`')
    .option('--zip <zip>', 'buildpack zip to check against')
    .option('--manifest <file>', 'manifest whose lock to check against (default manifest.yml, when no --zip)')
    .option('--json', 'print one JSON result on stdout')
    .action(async (appDir: string, flags: { zip?: string; manifest?: string; json?: boolean }) => {
      setExit(await runCommand(flags, async (ctx) => (await import('./check-command.js')).checkCommand(appDir, flags, ctx)));
    });

  program
    .command('summary')
    .description('markdown table of what the manifest packages')
    .option('--manifest <file>', 'manifest to summarise', 'manifest.yml')
    .option('--json', 'print JSON instead of markdown')
    .action(async (flags: { manifest?: string; json?: boolean }) => {
      setExit(await runCommand(flags, async (ctx) => (await import('./summary-command.js')).summaryCommand(flags, ctx)));
    });

  return program;
}

/** Entry point: parses argv and exits with the documented exit code (docs/CLI.md). */
export async function main(argv: string[]): Promise<void> {
  tolerateClosedPipes();
  let code = 0;
  const program = buildPackageProgram((c) => (code = c), argv);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // commander's exitOverride: help/version exit 0, usage errors exit 1.
    const e = err as { code?: string; exitCode?: number };
    code = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : EXIT_USAGE;
  }
  process.exitCode = code;
}
