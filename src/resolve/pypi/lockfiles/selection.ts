// The groups and extras an app asks for, checked against what its lock
// declares: a name the lock does not know is an error listing the ones it
// does (as uv and poetry refuse one), never silently nothing.
import { normalizeName } from '../requirement.js';
import { lockError } from './lock-source.js';

/** The requested names, normalised; throws EINPUT for one the lock does not declare. */
export function checkSelection(kind: 'extra' | 'dependency group' | 'group' | 'category', requested: readonly string[], declared: readonly string[], file: string, where: string): string[] {
  const known = new Set(declared.map(normalizeName));
  const out: string[] = [];
  for (const r of requested) {
    const n = normalizeName(r.trim());
    if (!n) continue;
    if (!known.has(n)) {
      const list = [...known].sort();
      throw lockError(`${file} has no ${kind} ${JSON.stringify(r)}: its ${where} ${list.length ? `declares ${list.join(', ')}` : `declares none`}`, { file }, {
        found: r,
        hint: `ask only for ${kind}s the lock declares (BP_LOCK_GROUPS / BP_LOCK_EXTRAS at staging), or lock again with it`,
      });
    }
    if (!out.includes(n)) out.push(n);
  }
  return out;
}
