import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startOrigin, type Origin } from '../../../fixtures/origin/origin.mjs';
import { PackagerError } from '../../../src/core/errors.js';
import { MemoryLogger } from '../../../src/core/log.js';
import { redactUrl } from '../../../src/core/redact.js';
import { parseLock, serializeLock, type MinicondaSpec } from '../../../src/manifest/index.js';
import { resolveInstallers, type ResolveInstallersContext } from '../../../src/resolve/miniconda/index.js';
import { FIXTURES } from '../../helpers/paths.js';
import { tempDir } from '../../helpers/tmp.js';

const PAGE = path.join(FIXTURES, 'miniconda/index.html');
const FORGE_SUM = '/miniforge/24.7.1-0/Miniforge3-24.7.1-0-Linux-x86_64.sh.sha256';
const SHA_PY312 = '4b3b3b1b99215e85fd73fb2c2d7ebf318ac942a457072de62d885056556eb83e';
const SHA_FORGE = 'b64f77042cf8eafd31ced64f9253a74fb85db63545fe167ba5756aea0e8125be';

let origin: Origin | undefined;
afterEach(async () => {
  await origin?.close();
  origin = undefined;
});

async function serve(): Promise<Origin> {
  origin = await startOrigin({
    files: { '/miniconda/': PAGE, [FORGE_SUM]: path.join(FIXTURES, 'miniconda', FORGE_SUM) },
  });
  return origin;
}

/**
 * Stands in for fetch's fetchDocument (injected by cli/): a real GET to the
 * loopback origin, body into a file, and EHTTP with the status on failure,
 * as src/fetch reports it. Credentials in the URL go out as Basic auth.
 */
async function context(o: Origin, extra: Partial<ResolveInstallersContext> = {}) {
  const dir = await tempDir();
  const fetched: string[] = [];
  const logger = new MemoryLogger();
  let n = 0;
  const ctx: ResolveInstallersContext = {
    stacks: [],
    logger,
    minicondaBaseUrl: `${o.url}/miniconda/`,
    miniforgeBaseUrl: `${o.url}/miniforge`,
    async fetchDocument(url) {
      fetched.push(url);
      const u = new URL(url);
      const headers: Record<string, string> = {};
      if (u.username) {
        headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
        u.username = '';
        u.password = '';
      }
      const res = await fetch(u, { headers });
      if (!res.ok) {
        throw new PackagerError('EHTTP', `Cannot fetch ${redactUrl(url)}: HTTP ${res.status}`, { url: redactUrl(url), status: res.status });
      }
      const file = path.join(dir, `doc-${n++}`);
      await writeFile(file, Buffer.from(await res.arrayBuffer()));
      return { path: file };
    },
    ...extra,
  };
  return { ctx, fetched, logger };
}

const miniconda = (version: string, cf_stacks: string[], more: Partial<MinicondaSpec> = {}): MinicondaSpec => ({ flavor: 'Miniconda3', version, cf_stacks, ...more });
const miniforge = (version: string, cf_stacks: string[], more: Partial<MinicondaSpec> = {}): MinicondaSpec => ({ flavor: 'Miniforge3', version, cf_stacks, ...more });

async function rejection(p: Promise<unknown>): Promise<PackagerError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof PackagerError) return err;
  throw new Error(`expected a PackagerError, got ${String(err)}`);
}

describe('resolveInstallers: Miniconda', () => {
  it('resolves a pinned version to its URL and published sha256, one entry for all x86_64 stacks', async () => {
    const o = await serve();
    const { ctx, logger } = await context(o);
    const entries = await resolveInstallers([miniconda('py312_24.5.0-0', ['cflinuxfs4', 'cflinuxfs3'])], ctx);
    expect(entries).toEqual([
      {
        kind: 'installer',
        name: 'miniconda3',
        flavor: 'Miniconda3',
        version: 'py312_24.5.0-0',
        filename: 'Miniconda3-py312_24.5.0-0-Linux-x86_64.sh',
        uri: `${o.url}/miniconda/Miniconda3-py312_24.5.0-0-Linux-x86_64.sh`,
        sha256: SHA_PY312,
        size: Math.round(141.6 * 1024 * 1024),
        size_approximate: true,
        depends: [],
        cf_stacks: ['cflinuxfs3', 'cflinuxfs4'],
      },
    ]);
    expect(logger.text()).toContain('info: Resolved Miniconda3 py312_24.5.0-0 for cflinuxfs4, cflinuxfs3: Miniconda3-py312_24.5.0-0-Linux-x86_64.sh');
  });

  it('resolves latest to the newest concrete installer, never the moving -latest- file', async () => {
    const o = await serve();
    const { ctx } = await context(o);
    const [entry] = await resolveInstallers([miniconda('latest', ['cflinuxfs4'])], ctx);
    expect(entry).toMatchObject({
      version: 'py39_25.7.0-2',
      filename: 'Miniconda3-py39_25.7.0-2-Linux-x86_64.sh',
      sha256: '790e8ea347cf49ba250fceacdc0b022237a9150717b9e4c17f2e70abc075c05d',
    });
    expect(entry!.uri).not.toContain('latest');
  });

  it('reads the index page once however many specs use it, and merges specs that land on the same file', async () => {
    const o = await serve();
    const { ctx } = await context(o);
    const entries = await resolveInstallers(
      [miniconda('py312_24.5.0-0', ['cflinuxfs4']), miniconda('latest', ['cflinuxfs4']), miniconda('py312_latest', ['cflinuxfs3'])],
      ctx,
    );
    expect(o.requestsFor('/miniconda/')).toHaveLength(1);
    expect(entries.map((e) => `${e.version} ${e.cf_stacks.join(',')}`)).toEqual(['py312_24.5.0-0 cflinuxfs3,cflinuxfs4', 'py39_25.7.0-2 cflinuxfs4']);
  });

  it('only resolves the stacks being packaged', async () => {
    const o = await serve();
    const { ctx, logger } = await context(o, { stacks: ['cflinuxfs4'] });
    const entries = await resolveInstallers([miniconda('py312_24.5.0-0', ['cflinuxfs3', 'cflinuxfs4']), miniconda('py311_24.1.2-0', ['cflinuxfs3'])], ctx);
    expect(entries.map((e) => [e.version, e.cf_stacks])).toEqual([['py312_24.5.0-0', ['cflinuxfs4']]]);
    expect(logger.text()).toContain('debug: Skipping Miniconda3 py311_24.1.2-0: none of its stacks (cflinuxfs3) is being packaged');
  });

  it("uses a spec's index_url over the context's base URL", async () => {
    const o = await serve();
    o.setFile('/mirror/miniconda/', PAGE);
    const { ctx, fetched } = await context(o);
    const [entry] = await resolveInstallers([miniconda('py311_24.1.2-0', ['cflinuxfs4'], { index_url: `${o.url}/mirror/miniconda` })], ctx);
    expect(fetched).toEqual([`${o.url}/mirror/miniconda/`]);
    expect(entry!.uri).toBe(`${o.url}/mirror/miniconda/Miniconda3-py311_24.1.2-0-Linux-x86_64.sh`);
  });

  it('fetches with the credentials of the base URL but writes the lock URI redacted', async () => {
    const o = await serve();
    const base = o.url.replace('http://', 'http://mirror-user:s3cret@');
    const { ctx, fetched } = await context(o, { minicondaBaseUrl: `${base}/miniconda/` });
    const [entry] = await resolveInstallers([miniconda('py312_24.5.0-0', ['cflinuxfs4'])], ctx);
    expect(fetched).toEqual([`${base}/miniconda/`]);
    expect(o.requestsFor('/miniconda/')[0]!.headers.authorization).toBe(`Basic ${Buffer.from('mirror-user:s3cret').toString('base64')}`);
    expect(entry!.uri).toBe(`${o.url.replace('http://', 'http://-redacted-:-redacted-@')}/miniconda/Miniconda3-py312_24.5.0-0-Linux-x86_64.sh`);
    expect(serializeLock({ lock_version: 1, inputs_sha256: 'a'.repeat(64), artifacts: [entry!] })).not.toContain('s3cret');
  });

  it('reports an unknown version with ENOTFOUND and the versions the index has', async () => {
    const o = await serve();
    const { ctx } = await context(o);
    const e = await rejection(resolveInstallers([miniconda('py313_99.1.0-0', ['cflinuxfs4'])], ctx));
    expect(e.code).toBe('ENOTFOUND');
    expect(e.message).toBe(`No installer Miniconda3 py313_99.1.0-0 for Linux-x86_64 in the installer index: ${o.url}/miniconda/`);
    expect(e.details.available).toHaveLength(9);
    expect((e.details.available as string[])[0]).toBe('py39_25.7.0-2');
  });

  it('reports a page that is not an installer listing with EBADINDEX', async () => {
    const o = await serve();
    o.setFile('/miniconda/', new TextEncoder().encode('<html><body>Service Unavailable</body></html>'));
    const { ctx } = await context(o);
    const e = await rejection(resolveInstallers([miniconda('latest', ['cflinuxfs4'])], ctx));
    expect(e.code).toBe('EBADINDEX');
    expect(e.message).toBe(`Malformed installer index: no table with Filename and SHA256 columns: ${o.url}/miniconda/`);
  });

  it('lets a network failure through as the fetcher reported it', async () => {
    const o = await serve();
    o.setFaults('/miniconda/', [{ status: 503 }]);
    const { ctx } = await context(o);
    const e = await rejection(resolveInstallers([miniconda('latest', ['cflinuxfs4'])], ctx));
    expect(e.code).toBe('EHTTP');
    expect(e.details.status).toBe(503);
  });

  it('refuses a stack it has no installer platform for', async () => {
    const o = await serve();
    const { ctx } = await context(o);
    const e = await rejection(resolveInstallers([miniconda('latest', ['windows2016'])], ctx));
    expect(e.code).toBe('EMANIFEST');
    expect(e.message).toBe('Unknown stack for an installer: windows2016');
    expect(e.details.key).toBe('miniconda[0].cf_stacks');
    expect(o.requests).toHaveLength(0);
  });
});

describe('resolveInstallers: Miniforge', () => {
  it('resolves a release tag through its .sha256 file', async () => {
    const o = await serve();
    const { ctx, fetched } = await context(o);
    const entries = await resolveInstallers([miniforge('24.7.1-0', ['cflinuxfs4', 'cflinuxfs3'])], ctx);
    expect(fetched).toEqual([`${o.url}${FORGE_SUM}`]);
    expect(entries).toEqual([
      {
        kind: 'installer',
        name: 'miniforge3',
        flavor: 'Miniforge3',
        version: '24.7.1-0',
        filename: 'Miniforge3-24.7.1-0-Linux-x86_64.sh',
        uri: `${o.url}/miniforge/24.7.1-0/Miniforge3-24.7.1-0-Linux-x86_64.sh`,
        sha256: SHA_FORGE,
        size: 0,
        size_approximate: true,
        depends: [],
        cf_stacks: ['cflinuxfs3', 'cflinuxfs4'],
      },
    ]);
  });

  it('reports a release that does not exist (404 on its .sha256) as ENOTFOUND', async () => {
    const o = await serve();
    const { ctx } = await context(o);
    const e = await rejection(resolveInstallers([miniforge('24.99.0-0', ['cflinuxfs4'])], ctx));
    expect(e.code).toBe('ENOTFOUND');
    expect(e.message).toBe(
      `No installer Miniforge3 24.99.0-0 for Linux-x86_64: ${o.url}/miniforge/24.99.0-0/Miniforge3-24.99.0-0-Linux-x86_64.sh.sha256 does not exist`,
    );
  });

  it('asks for an exact version instead of latest, before any request', async () => {
    const o = await serve();
    const { ctx } = await context(o);
    const e = await rejection(resolveInstallers([miniconda('latest', ['cflinuxfs4']), miniforge('latest', ['cflinuxfs4'])], ctx));
    expect(e.code).toBe('EMANIFEST');
    expect(e.message).toBe('Miniforge3 needs an exact version, not "latest"');
    expect(e.details.key).toBe('miniconda[1].version');
    expect(o.requestsFor(FORGE_SUM)).toHaveLength(0);
  });

  it('rejects a Miniconda-style version for Miniforge', async () => {
    const o = await serve();
    const { ctx } = await context(o);
    const e = await rejection(resolveInstallers([miniforge('py311_24.1.2-0', ['cflinuxfs4'])], ctx));
    expect(e.message).toBe('Not a Miniforge3 version: py311_24.1.2-0');
  });

  it('rejects a .sha256 file that names another asset', async () => {
    const o = await serve();
    o.setFile(FORGE_SUM, new TextEncoder().encode(`${SHA_FORGE}  Miniforge3-24.7.1-0-Linux-aarch64.sh\n`));
    const { ctx } = await context(o);
    const e = await rejection(resolveInstallers([miniforge('24.7.1-0', ['cflinuxfs4'])], ctx));
    expect(e.code).toBe('EBADINDEX');
  });
});

describe('installer entries in the lock', () => {
  it('serialize and parse back unchanged, Miniconda and Miniforge together', async () => {
    const o = await serve();
    const { ctx } = await context(o);
    const artifacts = await resolveInstallers([miniforge('24.7.1-0', ['cflinuxfs4']), miniconda('py311_24.1.2-0', ['cflinuxfs4'])], ctx);
    expect(artifacts.map((a) => a.name)).toEqual(['miniconda3', 'miniforge3']);
    const text = serializeLock({ lock_version: 1, inputs_sha256: 'a'.repeat(64), artifacts });
    expect(parseLock(text, 'manifest.lock.yml').artifacts).toEqual(artifacts);
  });
});
