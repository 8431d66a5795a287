// "The cache holds only verified files": every entry under content-v2/ hashes
// to its own name, tmp/ holds nothing but resumable partials (with their
// validators), and every http-v1/ document has its body at the recorded size
// with no stray bodies beside them.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

async function files(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile() || e.isSymbolicLink()) out.push(path.join(e.parentPath, e.name));
  }
  return out.sort();
}

async function hashFile(file: string, algorithm: string): Promise<string> {
  const h = createHash(algorithm);
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface CacheAudit {
  /** Verified entries under content-v2/ (and any left under content-v1/ by an older version). */
  entries: string[];
  /** Partial downloads kept for resume under tmp/. */
  partials: string[];
  /** Everything that breaks the rule; empty when the cache is sound. */
  problems: string[];
}

/** Audits a cache directory (a missing one is sound and empty). */
export async function auditCache(cacheDir: string): Promise<CacheAudit> {
  const problems: string[] = [];
  const entries: string[] = [];
  // content-v2/<algo>/<hex>; content-v1/<algo>/ab/cd/<rest> from an older version
  for (const [tree, depth] of [['content-v2', 2], ['content-v1', 4]] as const) {
    const content = path.join(cacheDir, tree);
    for (const f of await files(content)) {
      const rel = path.relative(content, f).split(path.sep);
      const [algorithm, ...name] = rel;
      if (rel.length !== depth || (algorithm !== 'sha256' && algorithm !== 'md5')) {
        problems.push(`unexpected file in ${tree}: ${rel.join('/')}`);
        continue;
      }
      const found = await hashFile(f, algorithm);
      if (found !== name.join('')) problems.push(`${tree}/${rel.join('/')} holds bytes with ${algorithm} ${found}`);
      else entries.push(rel.join('/'));
    }
  }
  const partials: string[] = [];
  for (const f of await files(path.join(cacheDir, 'tmp'))) {
    const name = path.basename(f);
    if (/\.partial(\.json)?$/.test(name)) partials.push(name);
    else problems.push(`leftover in tmp/: ${name}`);
  }
  const http = path.join(cacheDir, 'http-v1');
  const bodies = new Set((await files(http)).filter((f) => f.endsWith('.body')));
  for (const f of (await files(http)).filter((x) => x.endsWith('.json'))) {
    try {
      const meta = JSON.parse(await readFile(f, 'utf8')) as { body: string; size: number };
      const body = path.join(path.dirname(f), meta.body);
      const size = (await stat(body)).size;
      if (size !== meta.size) problems.push(`http-v1 body ${meta.body} is ${size} bytes, its metadata says ${meta.size}`);
      bodies.delete(body);
    } catch (err) {
      problems.push(`http-v1 metadata ${path.basename(f)} unusable: ${(err as Error).message}`);
    }
  }
  for (const b of bodies) problems.push(`http-v1 body without metadata: ${path.basename(b)}`);
  return { entries, partials, problems };
}
