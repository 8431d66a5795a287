// Turns any thrown value into what the user reads on stderr. A PackagerError
// prints its message, where it happened, Wanted/Found and the hint; anything
// else is a bug and prints its stack (redacted: a stack can quote a URL).
import { PackagerError, formatLocation, redactText } from '../core/index.js';

const SHOWN_ELSEWHERE = new Set(['hint', 'file', 'key', 'line', 'column', 'wanted', 'found', 'url', 'cause']);

/** Longest Wanted/Found value shown (a hostile input line can be megabytes). */
const VALUE_MAX = 200;

function shown(v: unknown): string {
  const s = redactText(String(v));
  return s.length > VALUE_MAX ? `${s.slice(0, VALUE_MAX)}… (${s.length} characters)` : s;
}

/** Multi-line, human-readable rendering of an error for stderr. */
export function renderError(err: unknown): string {
  if (err instanceof PackagerError) {
    const d = err.details;
    const lines = [`error: ${redactText(err.message)}`];
    const where = formatLocation(d);
    if (where && !err.message.includes(where)) lines.push(`  at ${where}`);
    if (d.url && !err.message.includes(String(d.url))) lines.push(`  url: ${redactText(String(d.url))}`);
    if (d.wanted !== undefined) lines.push(`  Wanted: ${shown(d.wanted)}`);
    if (d.found !== undefined) lines.push(`  Found: ${shown(d.found)}`);
    for (const [k, v] of Object.entries(d)) {
      if (SHOWN_ELSEWHERE.has(k) || v === undefined) continue;
      if (Array.isArray(v)) {
        if (v.length === 0) continue;
        lines.push(`  ${k}:`);
        for (const item of v.slice(0, 20)) lines.push(`    - ${redactText(typeof item === 'string' ? item : JSON.stringify(item))}`);
        if (v.length > 20) lines.push(`    ... and ${v.length - 20} more`);
      } else if (typeof v !== 'object') {
        lines.push(`  ${k}: ${redactText(String(v))}`);
      }
    }
    if (d.hint) lines.push(`hint: ${redactText(d.hint)}`);
    return lines.join('\n');
  }
  const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return `internal error (this is a bug, please report it):\n${redactText(stack)}`;
}

/** JSON form of an error for --json output. */
export function errorToJson(err: unknown): Record<string, unknown> {
  if (err instanceof PackagerError) {
    const details: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(err.details)) details[k] = typeof v === 'string' ? redactText(v) : v;
    return { code: err.code, message: redactText(err.message), ...details };
  }
  return { code: 'EINTERNAL', message: redactText(err instanceof Error ? err.message : String(err)) };
}
