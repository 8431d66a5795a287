// The size budget of a cached zip: the expected size printed before any
// download (from the lock's sizes, the download cache, and "at least" when a
// manifest dependency has no size anywhere), --max-size enforcement with the
// ten largest artifacts named so the operator knows what to drop, and the
// default warning above Cloud Controller's usual 1 GiB buildpack upload limit
// (cloud_controller_ng #275/#1433: 413 or "buildpack zipfile is not valid").
import { InvalidArgumentError } from 'commander';
import { PackagerError, type Logger } from '../core/index.js';
import { formatBytes } from './console.js';

/** Cloud Controller's default buildpack upload limit: above it the default is a warning. */
export const CC_DEFAULT_UPLOAD_LIMIT = 1024 ** 3;

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * `500M`, `1G`, `1.5g`, `750MiB`, `2GB`, `1073741824` -> bytes. Units are powers
 * of 1024 whichever way they are spelled (CC limits are binary); undefined when
 * the text is not a size.
 */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
  return Number.isFinite(bytes) && bytes > 0 ? bytes : undefined;
}

/** commander argParser for --max-size. */
export function parseSizeArg(text: string): number {
  const n = parseSize(text);
  if (n === undefined) throw new InvalidArgumentError('expected a size such as 500M, 1G or a number of bytes');
  return n;
}

/** One artifact as the budget sees it. */
export interface BudgetItem {
  /** `conda numpy 1.26.4`, `dependency python 3.11.9`. */
  label: string;
  /** Bytes; undefined when nothing knows the size yet. */
  size?: number;
  /** True when the size is an index's estimate (Miniconda's `143.4M`). */
  approximate?: boolean;
  /** How to leave it out: `--exclude python`, or the manifest section to edit. */
  drop: string;
  /** Lock entries: the environments that need it (manifest dependencies serve all). */
  environments?: string[];
}

export interface SizeEstimate {
  /** Sum of the known sizes: a lower bound when `unknown` is not empty. */
  bytes: number;
  count: number;
  unknown: BudgetItem[];
  approximate: number;
}

/** Adds the sizes up. */
export function estimateSize(items: readonly BudgetItem[]): SizeEstimate {
  let bytes = 0;
  let approximate = 0;
  const unknown: BudgetItem[] = [];
  for (const i of items) {
    if (i.size === undefined) unknown.push(i);
    else {
      bytes += i.size;
      if (i.approximate) approximate++;
    }
  }
  return { bytes, count: items.length, unknown, approximate };
}

/** `at least 812.4 MiB`, `about 1.2 GiB`, `64.0 KiB`. */
export function estimateText(e: SizeEstimate): string {
  return `${e.unknown.length ? 'at least ' : e.approximate ? 'about ' : ''}${formatBytes(e.bytes)}`;
}

/**
 * One line per environment when the lock names more than `default`: what the
 * environment alone would weigh (its own artifacts plus the manifest
 * dependencies) and how much of it other environments share; the zip carries
 * the union once (the estimate line above).
 */
export function environmentLines(items: readonly BudgetItem[]): string[] {
  const names = [...new Set(items.flatMap((i) => i.environments ?? []))].sort();
  if (names.length === 0 || (names.length === 1 && names[0] === 'default')) return [];
  return names.map((name) => {
    const mine = items.filter((i) => !i.environments || i.environments.includes(name));
    const shared = mine.filter((i) => !i.environments || i.environments.length > 1);
    const e = estimateSize(mine);
    return `  environment ${name}: ${estimateText(e)} (${e.count} artifact${e.count === 1 ? '' : 's'}, ${shared.length} shared with other environments)`;
  });
}

/** The line printed before downloading. */
export function estimateLine(e: SizeEstimate): string {
  const notes = [`${e.count} artifact${e.count === 1 ? '' : 's'}`];
  if (e.approximate) notes.push(`${e.approximate} size${e.approximate === 1 ? ' is an estimate' : 's are estimates'} of the installer index`);
  if (e.unknown.length) {
    const names = e.unknown.slice(0, 5).map((i) => i.label).join(', ');
    notes.push(`no size known yet for ${e.unknown.length}: ${names}${e.unknown.length > 5 ? ', ...' : ''}`);
  }
  return `Expected zip size: ${estimateText(e)} (${notes.join('; ')})`;
}

/** The `n` largest artifacts, largest first: `  512.0 MiB  pytorch 2.1.0 py311_0 (conda): remove it from conda: ...`. */
export function largestLines(items: readonly BudgetItem[], n = 10): string[] {
  return [...items]
    .filter((i) => i.size !== undefined)
    .sort((a, b) => b.size! - a.size! || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
    .slice(0, n)
    .map((i) => `${formatBytes(i.size!).padStart(10)}  ${i.label}: ${i.drop}`);
}

const DROP_HINT =
  'leave dependencies or installers out with --exclude NAME or a packaging profile (--profile), drop conda packages or wheels from the manifest\'s conda:/pip: sections and run `bin/package resolve`, or raise --max-size';

/**
 * Before downloading: throws EBUNDLE when the expected size (a lower bound)
 * is over `maxBytes`; without a limit, warns above Cloud Controller's 1 GiB.
 */
export function checkBudget(e: SizeEstimate, items: readonly BudgetItem[], maxBytes: number | undefined, log: Logger): void {
  if (maxBytes !== undefined) {
    if (e.bytes > maxBytes) {
      throw new PackagerError('EBUNDLE', `The zip would be larger than --max-size ${formatBytes(maxBytes)}: expected ${estimateText(e)}; nothing was downloaded`, {
        wanted: `at most ${maxBytes} bytes`,
        found: `${e.unknown.length ? 'at least ' : ''}${e.bytes} bytes`,
        largest: largestLines(items),
        hint: DROP_HINT,
      });
    }
    return;
  }
  if (e.bytes > CC_DEFAULT_UPLOAD_LIMIT) {
    log.warn(
      `The zip will be ${estimateText(e)}, over 1 GiB, Cloud Controller's default buildpack upload limit (cf create-buildpack then fails with 413 or "buildpack zipfile is not valid"). ` +
        `Largest artifacts:\n${largestLines(items).join('\n')}\n${DROP_HINT.replace(', or raise --max-size', '')}; or pass --max-size to set the budget your Cloud Controller allows`,
    );
  }
}

/** After writing: the real zip against the same limits (sizes unknown before download can push it over). */
export function checkWrittenZip(size: number, maxBytes: number | undefined, zip: string, log: Logger): void {
  if (maxBytes !== undefined && size > maxBytes) {
    throw new PackagerError('EBUNDLE', `The zip is larger than --max-size ${formatBytes(maxBytes)}: ${formatBytes(size)} (${size} bytes); it was not kept`, {
      wanted: `at most ${maxBytes} bytes`,
      found: `${size} bytes (${zip})`,
      hint: `the downloads stay in the cache, so a re-run is quick: ${DROP_HINT}`,
    });
  }
  if (maxBytes === undefined && size > CC_DEFAULT_UPLOAD_LIMIT) {
    log.warn(`The zip is ${formatBytes(size)}, over 1 GiB, Cloud Controller's default buildpack upload limit: raise the limit on your foundation or package less`);
  }
}
