// requirements.txt as pip reads it: `\` line continuations, `#` comments,
// `${VAR}` expansion, `-r`/`-c` includes (relative to the including file),
// index options and per-requirement `--hash`. Reading is injected (readText),
// so the parser itself stays pure.
// Spec: https://pip.pypa.io/en/stable/reference/requirements-file-format/
// (behaviour mirrors pip/_internal/req/req_file.py).
import path from 'node:path';
import { PackagerError } from '../../core/index.js';
import { normalizeProjectName } from '../../core/project-name.js';
import { isProjectName, parseRequirement, type Requirement, RequirementSyntaxError } from './requirement.js';
import { parseSdistFilename, parseWheelFilename } from './wheel-filename.js';

/** Longest stretch of a bad line quoted in an error message (a hostile line can be megabytes). */
const ECHO_MAX = 120;

/** `text`, or the ECHO_MAX characters of it around `at`, marked where cut. */
function clip(text: string, at: number): string {
  if (text.length <= ECHO_MAX) return text;
  const start = Math.max(0, Math.min(at - ECHO_MAX / 2, text.length - ECHO_MAX));
  return `${start > 0 ? '…' : ''}${text.slice(start, start + ECHO_MAX)}${start + ECHO_MAX < text.length ? '…' : ''}`;
}

export interface RequirementLine {
  requirement: Requirement;
  /** The requirement text after expansion, as it reads in the file. */
  text: string;
  /** Where it came from: `requirements.txt line 3` (file as given, made relative by the caller if wanted). */
  file: string;
  line: number;
  /** `sha256:<hex>` values from --hash options. */
  hashes: string[];
  constraint: boolean;
}

export interface RequirementsOptions {
  /** Last --index-url seen (replaces the manifest's index_url). */
  indexUrl?: string;
  extraIndexUrls: string[];
  findLinks: string[];
  noIndex: boolean;
  pre: boolean;
  requireHashes: boolean;
  preferBinary: boolean;
  onlyBinary: string[];
  noBinary: string[];
  trustedHosts: string[];
}

export interface ParsedRequirements {
  requirements: RequirementLine[];
  constraints: RequirementLine[];
  options: RequirementsOptions;
  /** Every file read, in the order read (the including file first). */
  files: string[];
}

export interface RequirementsIO {
  readText(file: string): Promise<string>;
  /** Environment for `${VAR}` expansion. */
  env: Record<string, string | undefined>;
}

/** Empty options, as when no file says anything. */
export function emptyRequirementsOptions(): RequirementsOptions {
  return { extraIndexUrls: [], findLinks: [], noIndex: false, pre: false, requireHashes: false, preferBinary: false, onlyBinary: [], noBinary: [], trustedHosts: [] };
}

const COMMENT_RE = /(^|\s+)#.*$/;
const ENV_VAR_RE = /\$\{([A-Z0-9_]+)\}/g;

/** pip's preprocess(): join continuations, drop comments and blank lines, expand ${VAR}. */
export function preprocessRequirements(content: string, env: Record<string, string | undefined>): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const raw = content.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const joined: { line: number; text: string }[] = [];
  let pending: string[] | undefined;
  let primary = 0;
  raw.forEach((l, idx) => {
    const n = idx + 1;
    const isComment = /^\s*#/.test(l);
    if (!l.endsWith('\\') || isComment) {
      const text = isComment ? ' ' + l : l;
      if (pending) {
        pending.push(text);
        joined.push({ line: primary, text: pending.join('') });
        pending = undefined;
      } else joined.push({ line: n, text });
    } else {
      if (!pending) {
        pending = [];
        primary = n;
      }
      pending.push(l.replace(/^\\+|\\+$/g, ''));
    }
  });
  if (pending) joined.push({ line: primary, text: pending.join('') });
  for (const j of joined) {
    const text = j.text.replace(COMMENT_RE, '').trim();
    if (!text) continue;
    out.push({ line: j.line, text: text.replace(ENV_VAR_RE, (whole, name: string) => env[name] || whole) });
  }
  return out;
}

/** POSIX shell-like split (quotes and backslashes), as shlex.split does for option strings. */
export function shellSplit(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
      i++;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new Error('no closing quotation');
      cur += s.slice(i + 1, end);
      has = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      has = true;
      for (;;) {
        if (i >= s.length) throw new Error('no closing quotation');
        const d = s[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\' && (s[i + 1] === '"' || s[i + 1] === '\\' || s[i + 1] === '$')) {
          cur += s[i + 1];
          i += 2;
        } else {
          cur += d;
          i++;
        }
      }
    } else if (c === '\\') {
      if (i + 1 < s.length) cur += s[i + 1];
      has = true;
      i += 2;
    } else {
      cur += c;
      has = true;
      i++;
    }
  }
  if (has) out.push(cur);
  return out;
}

/** pip's break_args_options(): the requirement is everything before the first token starting with `-`. */
function breakArgsOptions(line: string): [string, string] {
  const tokens = line.split(' ');
  const args: string[] = [];
  let k = 0;
  for (; k < tokens.length; k++) {
    if (tokens[k]!.startsWith('-')) break;
    args.push(tokens[k]!);
  }
  return [args.join(' '), tokens.slice(k).join(' ')];
}

type OptionSpec = { names: string[]; takesValue: boolean; key: string };
const OPTIONS: OptionSpec[] = [
  { names: ['-i', '--index-url'], takesValue: true, key: 'index-url' },
  { names: ['--extra-index-url'], takesValue: true, key: 'extra-index-url' },
  { names: ['--no-index'], takesValue: false, key: 'no-index' },
  { names: ['-c', '--constraint'], takesValue: true, key: 'constraint' },
  { names: ['-r', '--requirement'], takesValue: true, key: 'requirement' },
  { names: ['-e', '--editable'], takesValue: true, key: 'editable' },
  { names: ['-f', '--find-links'], takesValue: true, key: 'find-links' },
  { names: ['--no-binary'], takesValue: true, key: 'no-binary' },
  { names: ['--only-binary'], takesValue: true, key: 'only-binary' },
  { names: ['--prefer-binary'], takesValue: false, key: 'prefer-binary' },
  { names: ['--require-hashes'], takesValue: false, key: 'require-hashes' },
  { names: ['--pre'], takesValue: false, key: 'pre' },
  { names: ['--trusted-host'], takesValue: true, key: 'trusted-host' },
  { names: ['--use-feature'], takesValue: true, key: 'use-feature' },
  { names: ['--hash'], takesValue: true, key: 'hash' },
  { names: ['--global-option'], takesValue: true, key: 'global-option' },
  { names: ['--config-settings'], takesValue: true, key: 'config-settings' },
];

function parseOptions(tokens: string[], fail: (msg: string) => never): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const tok = tokens[k]!;
    let spec: OptionSpec | undefined;
    let value: string | undefined;
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      const name = eq < 0 ? tok : tok.slice(0, eq);
      // optparse accepts unambiguous prefixes of long options.
      const matches = OPTIONS.filter((o) => o.names.some((n) => n.startsWith('--') && n.startsWith(name)));
      const exact = matches.find((o) => o.names.includes(name));
      spec = exact ?? (matches.length === 1 ? matches[0] : undefined);
      if (!spec) fail(matches.length > 1 ? `ambiguous option: ${name}` : `no such option: ${name}`);
      if (eq >= 0) {
        if (!spec.takesValue) fail(`${name} option does not take a value`);
        value = tok.slice(eq + 1);
      }
    } else if (tok.startsWith('-') && tok.length >= 2) {
      spec = OPTIONS.find((o) => o.names.includes(tok.slice(0, 2)));
      if (!spec) fail(`no such option: ${tok.slice(0, 2)}`);
      if (tok.length > 2) {
        if (!spec.takesValue) fail(`no such option: ${tok}`);
        value = tok.slice(2);
      }
    } else {
      fail(`unexpected argument: ${tok}`);
    }
    if (spec.takesValue && value === undefined) {
      if (k + 1 >= tokens.length) fail(`${tok} option requires an argument`);
      value = tokens[++k]!;
    }
    out.push({ key: spec.key, value: value ?? '' });
  }
  return out;
}

const ARCHIVE_RE = /\.(whl|tar\.gz|tgz|zip|tar\.bz2|tar\.xz)$/i;

/** A bare URL or path to a wheel/sdist becomes `name @ url` (name and version from the file name). */
function archiveRequirement(text: string, baseDir: string): Requirement | undefined {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@/.test(text)) return undefined; // PEP 508 `name @ url`
  const isUrl = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(text);
  if (!isUrl && !/^(\.{0,2}\/|[A-Za-z]:\\)/.test(text) && !ARCHIVE_RE.test(text)) return undefined;
  const url = isUrl ? text : 'file://' + path.resolve(baseDir, text);
  let base: string;
  try {
    base = new URL(url).pathname.split('/').pop() ?? '';
  } catch {
    return undefined; // not a URL after all: the requirement parser reports the line
  }
  try {
    base = decodeURIComponent(base);
  } catch {
    // a `%` that starts no escape is part of the name
  }
  let key: string | undefined;
  try {
    key = parseWheelFilename(base).key;
  } catch {
    key = parseSdistFilename(base)?.key;
  }
  // a file name that does not start with a valid project name is not an archive we can name
  if (!key || !isProjectName(key)) return undefined;
  const req = parseRequirement(`${key} @ ${url}`);
  req.key = normalizeProjectName(key);
  return req;
}

/**
 * Reads one requirements file and everything it includes. Errors are EINPUT
 * naming the file and line; a missing file names who included it.
 */
export async function parseRequirementsFile(file: string, io: RequirementsIO, opts: { constraint?: boolean } = {}): Promise<ParsedRequirements> {
  const result: ParsedRequirements = { requirements: [], constraints: [], options: emptyRequirementsOptions(), files: [] };
  await readInto(file, opts.constraint ?? false, io, result, []);
  return result;
}

async function readInto(file: string, constraint: boolean, io: RequirementsIO, out: ParsedRequirements, stack: { file: string; line: number }[]): Promise<void> {
  if (/^https?:\/\//i.test(file)) {
    throw new PackagerError('EINPUT', `Requirements files over HTTP are not supported: ${file}`, {
      file: stack.at(-1)?.file,
      line: stack.at(-1)?.line,
      hint: 'Download the file next to the manifest and name it by path.',
    });
  }
  if (stack.some((s) => path.resolve(s.file) === path.resolve(file))) {
    const from = stack.at(-1)!;
    throw new PackagerError('EINPUT', `Requirements file includes itself: ${file} (from ${from.file} line ${from.line})`, { file: from.file, line: from.line });
  }
  let content: string;
  try {
    content = await io.readText(file);
  } catch (err) {
    if (err instanceof PackagerError) throw err; // already says what is wrong with the file (e.g. not UTF-8)
    const from = stack.at(-1);
    throw new PackagerError(
      'EINPUT',
      `Cannot read requirements file: ${file}${from ? ` (included from ${from.file} line ${from.line})` : ''}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { file: from?.file ?? file, ...(from ? { line: from.line } : {}), hint: 'Check the path; -r and -c paths are relative to the file that names them.' },
      { cause: err },
    );
  }
  out.files.push(file);
  const baseDir = path.dirname(file);
  for (const { line, text } of preprocessRequirements(content, io.env)) {
    const fail = (msg: string): never => {
      throw new PackagerError('EINPUT', `Invalid line in requirements file ${file} line ${line}: ${msg}`, {
        file,
        line,
        found: text,
        hint: 'See https://pip.pypa.io/en/stable/reference/requirements-file-format/',
      });
    };
    const [args, optionText] = breakArgsOptions(text);
    let tokens: string[];
    try {
      tokens = shellSplit(optionText);
    } catch (e) {
      fail(`could not split options: ${(e as Error).message}`);
    }
    const options = parseOptions(tokens!, fail);
    if (args) {
      const hashes: string[] = [];
      for (const o of options) {
        if (o.key === 'hash') {
          const m = /^([a-z0-9]+):([0-9a-fA-F]+)$/.exec(o.value);
          if (!m) fail(`--hash must look like sha256:<hex>, found: ${o.value}`);
          if (m![1] !== 'sha256') fail(`only sha256 hashes can be checked, found: ${m![1]}`);
          if (m![2]!.length !== 64) fail(`a sha256 hash has 64 hex digits, found ${m![2]!.length}: ${o.value}`);
          hashes.push(`sha256:${m![2]!.toLowerCase()}`);
        } else if (o.key !== 'global-option' && o.key !== 'config-settings') {
          fail(`option ${o.key} cannot follow a requirement on the same line`);
        }
      }
      if (/^(git|hg|svn|bzr)\+/.test(args)) fail(`version-control requirements cannot be packaged offline: ${args}`);
      let requirement: Requirement;
      try {
        requirement = archiveRequirement(args, baseDir) ?? parseRequirement(args);
      } catch (err) {
        if (err instanceof RequirementSyntaxError) fail(`${err.message} (at column ${err.position + 1}): ${clip(args, err.position)}`);
        throw err;
      }
      const entry: RequirementLine = { requirement: requirement!, text: args, file, line, hashes, constraint };
      (constraint ? out.constraints : out.requirements).push(entry);
      continue;
    }
    for (const o of options) {
      switch (o.key) {
        case 'requirement':
        case 'constraint':
          await readInto(path.resolve(baseDir, o.value), o.key === 'constraint', io, out, [...stack, { file, line }]);
          break;
        case 'index-url':
          out.options.indexUrl = o.value;
          break;
        case 'extra-index-url':
          out.options.extraIndexUrls.push(o.value);
          break;
        case 'no-index':
          out.options.noIndex = true;
          break;
        case 'find-links': {
          const isUrl = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(o.value);
          out.options.findLinks.push(isUrl ? o.value : path.resolve(baseDir, o.value));
          break;
        }
        case 'pre':
          out.options.pre = true;
          break;
        case 'require-hashes':
          out.options.requireHashes = true;
          break;
        case 'prefer-binary':
          out.options.preferBinary = true;
          break;
        case 'only-binary':
          out.options.onlyBinary.push(o.value);
          break;
        case 'no-binary':
          out.options.noBinary.push(o.value);
          break;
        case 'trusted-host':
          out.options.trustedHosts.push(o.value);
          break;
        case 'editable':
          fail(`editable requirements (-e) cannot be packaged offline: ${o.value}`);
          break;
        case 'hash':
          // pip warns and ignores a --hash without a requirement.
          break;
        default:
          break;
      }
    }
  }
}
