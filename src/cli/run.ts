// Wraps a command action: maps errors to the exit codes of docs/CLI.md, prints them
// (text or --json), and makes Ctrl-C / SIGTERM abort work cleanly so that
// temp files are removed and nothing half-written keeps a final name.
import { PackagerError } from '../core/index.js';
import { ConsoleReporter } from './console.js';
import { errorToJson, renderError } from './render-error.js';
import { EXIT_INTERNAL, EXIT_OK, exitCodeFor } from './exit-codes.js';

export interface CommandContext {
  reporter: ConsoleReporter;
  signal: AbortSignal;
  json: boolean;
}

/** Runs `action`, returning the process exit code. Never throws. */
export async function runCommand(
  opts: { json?: boolean; verbose?: boolean; onInterrupt?: string },
  action: (ctx: CommandContext) => Promise<number | void>,
): Promise<number> {
  const json = Boolean(opts.json);
  const reporter = new ConsoleReporter({ verbose: opts.verbose, quiet: json });
  const controller = new AbortController();
  let interrupted = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted++;
    if (interrupted > 1) process.exit(130);
    reporter.warn(`${sig} received: stopping${opts.onInterrupt ? ` (${opts.onInterrupt})` : ''}`);
    controller.abort(new PackagerError('EUSAGE', `Interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const code = await action({ reporter, signal: controller.signal, json });
    reporter.finish();
    return code ?? EXIT_OK;
  } catch (err) {
    reporter.finish();
    const code = err instanceof PackagerError ? exitCodeFor(err.code) : EXIT_INTERNAL;
    if (json) process.stdout.write(JSON.stringify({ ok: false, error: errorToJson(err) }, null, 2) + '\n');
    reporter.error(renderError(err));
    if (controller.signal.aborted) return 130;
    return code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
