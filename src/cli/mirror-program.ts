// bin/mirror: commander wiring only. `serve` runs until SIGINT/SIGTERM
// (runCommand turns the signal into an abort; the server then finishes its
// in-flight responses and the process exits 0); `export` writes static files.
// The mirror's modules are imported when a command runs, not for `--help`.
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../core/atomic-file.js';
import { PackagerError } from '../core/errors.js';
import { formatBytes } from './console.js';
import { batchLines } from './line-batcher.js';
import { runCommand } from './run.js';
import { tolerateClosedPipes } from './closed-pipe.js';
import { EXIT_USAGE } from './exit-codes.js';

function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535 (0 picks a free port)');
  return n;
}

function ownVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

interface ServeFlags {
  host: string;
  port: number;
  accessLog: boolean;
  verbose?: boolean;
}

interface ExportFlags {
  nginxConf?: string;
  nginxListen: string;
  json?: boolean;
  verbose?: boolean;
}

async function writeNginxConf(file: string, conf: string): Promise<string> {
  const abs = path.resolve(file);
  await writeFileAtomic(abs, conf).catch((err: NodeJS.ErrnoException) => {
    throw new PackagerError('EIO', `Cannot write the nginx configuration: ${abs}: ${err.code ?? err.message}`, { file: abs, hint: 'give a file in a directory you can write' }, { cause: err });
  });
  return abs;
}

/** The bin/mirror command tree. */
export function buildMirrorProgram(setExit: (code: number) => void): Command {
  const program = new Command('mirror')
    .description('Serve a buildpack bundle as a conda channel, a PyPI simple index and an installer listing, or export it as static files.')
    .version(ownVersion(), '--tool-version', 'print the mirror version')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('serve')
    .description('serve a bundle zip (read in place) or an exported directory over HTTP until SIGINT/SIGTERM; prints the URL on stdout')
    .argument('<bundle>', 'buildpack zip (bin/package offline) or directory written by `bin/mirror export`')
    .option('--host <host>', 'address to listen on (other machines reach the mirror only if this allows it)', '127.0.0.1')
    .addOption(new Option('--port <port>', 'port to listen on (0 picks a free one)').argParser(portNumber).default(8080))
    .option('--no-access-log', 'do not print one line per request on stderr')
    .option('--verbose', 'show debug lines')
    .action(async (bundle: string, flags: ServeFlags) => {
      setExit(
        await runCommand(flags, async (ctx) => {
          const { formatAccessLine, openSite, startMirrorServer } = await import('../mirror/index.js');
          const site = await openSite(bundle, { logger: ctx.reporter });
          const accessLog = batchLines((lines) => ctx.reporter.infoLines(lines));
          let server;
          try {
            server = await startMirrorServer(site, {
              host: flags.host,
              port: flags.port,
              logger: ctx.reporter,
              onAccess: flags.accessLog ? (e) => accessLog.push(formatAccessLine(e)) : undefined,
            });
          } catch (err) {
            await site.close();
            throw err;
          }
          const channels = [...new Set([...site.files.keys()].filter((p) => p.startsWith('/conda/')).map((p) => p.split('/')[2]!))];
          ctx.reporter.info(`Serving ${bundle} (${site.files.size} paths) at ${server.url}`);
          if (site.files.has('/pypi/simple/')) ctx.reporter.info(`  pip:   pip install --index-url ${server.url}pypi/simple <package>`);
          for (const c of channels) ctx.reporter.info(`  conda: conda install --override-channels -c ${server.url}conda/${c} <package>`);
          process.stdout.write(`${server.url}\n`);
          await new Promise<void>((resolve) => {
            if (ctx.signal.aborted) resolve();
            else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
          });
          await server.close();
          await site.close();
          accessLog.flush();
          ctx.reporter.info(`Mirror stopped after ${server.stats().requests} request(s)`);
        }),
      );
    });

  program
    .command('export')
    .description('write the served tree as static files (nginx, S3, any web server); re-export into the same DIR is incremental')
    .argument('<bundle>', 'buildpack zip (bin/package offline)')
    .argument('<dir>', 'directory to write (new, empty, or an earlier export)')
    .option('--nginx-conf <file>', 'also write an nginx configuration that serves DIR (types, caching, PEP 691 negotiation) to FILE')
    .option('--nginx-listen <listen>', "what the configuration's `listen` says: port, address:port or [ipv6]:port", '80')
    .option('--json', 'print one JSON result on stdout')
    .option('--verbose', 'show debug lines')
    .action(async (bundle: string, dir: string, flags: ExportFlags) => {
      setExit(
        await runCommand(flags, async (ctx) => {
          const { exportSite, nginxConf, openSite } = await import('../mirror/index.js');
          // a bad --nginx-listen or DIR fails before anything is written
          const conf = flags.nginxConf === undefined ? undefined : nginxConf({ root: path.resolve(dir), listen: flags.nginxListen });
          const site = await openSite(bundle, { logger: ctx.reporter });
          try {
            ctx.reporter.plan(site.files.size, [...site.files.values()].reduce((n, f) => n + f.size, 0));
            const r = await exportSite(site, dir, { logger: ctx.reporter, onProgress: ctx.reporter.onProgress, signal: ctx.signal });
            ctx.reporter.finish();
            ctx.reporter.info(`Exported ${r.files} files to ${r.dir}: ${r.written} written (${formatBytes(r.bytesWritten)}), ${r.unchanged} unchanged, ${r.removed} removed`);
            const nginx = conf === undefined ? undefined : await writeNginxConf(flags.nginxConf!, conf);
            if (nginx) ctx.reporter.info(`Wrote the nginx configuration ${nginx}: include it in nginx's http context`);
            process.stdout.write(ctx.json ? `${JSON.stringify({ ok: true, ...r, ...(nginx ? { nginxConf: nginx } : {}) }, null, 2)}\n` : `${r.dir}\n`);
          } finally {
            await site.close();
          }
        }),
      );
    });

  return program;
}

/** Entry point: parses argv and exits with the documented exit code (docs/CLI.md). */
export async function main(argv: string[]): Promise<void> {
  tolerateClosedPipes();
  let code = 0;
  const program = buildMirrorProgram((c) => (code = c));
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // commander's exitOverride: help/version exit 0, usage errors exit 1.
    const e = err as { code?: string };
    code = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : EXIT_USAGE;
  }
  process.exitCode = code;
}
