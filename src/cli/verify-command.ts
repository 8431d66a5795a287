// `bin/package verify ZIP`: exit 0 only when the zip is sound; every problem on
// its own line (stdout), warnings on stderr.
import type { CommandContext } from './run.js';
import { verifyBundle } from '../bundle/index.js';
import { EXIT_CHECKSUM, EXIT_USAGE } from './exit-codes.js';

/** Checks a zip; returns the exit code. */
export async function verifyCommand(zip: string, ctx: CommandContext): Promise<number> {
  const report = await verifyBundle(zip);
  for (const w of report.warnings) ctx.reporter.warn(w);
  if (ctx.json) {
    process.stdout.write(JSON.stringify({ ok: report.ok, zip, problems: report.problems, warnings: report.warnings }, null, 2) + '\n');
  } else {
    for (const p of report.problems) process.stdout.write(`${p.code}: ${p.message}\n`);
    if (report.ok) ctx.reporter.info(`${zip}: sound`);
  }
  if (report.ok) return 0;
  return report.problems.some((p) => p.code === 'EINTEGRITY' || p.code === 'ESIZE') ? EXIT_CHECKSUM : EXIT_USAGE;
}
