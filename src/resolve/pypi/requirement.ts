// PEP 508 dependency specifiers (`name[extra1,extra2] (>=1.0,<2) ; marker`,
// `name @ https://host/file.whl ; marker`).
// Spec: https://packaging.python.org/en/latest/specifications/dependency-specifiers/
import { normalizeProjectName } from '../../core/project-name.js';
import { type Marker, MarkerSyntaxError, formatMarker, parseMarker } from './markers.js';
import { type SpecifierSet, formatSpecifierSet, parseSpecifierSet } from './pep440.js';

export interface Requirement {
  /** Name as written. */
  name: string;
  /** PEP 503 normalised name (`has-script`). */
  key: string;
  /** Normalised extra names, sorted, unique. */
  extras: string[];
  specifier: SpecifierSet;
  url?: string;
  marker?: Marker;
}

/** core's normalizeProjectName, under the name resolver.ts imports. */
export { normalizeProjectName as normalizeName };

/** A requirement string that does not parse; `position` is a 0-based offset. */
export class RequirementSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = 'RequirementSyntaxError';
  }
}

const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/;

/** True when `text` is a whole PEP 508 project name (`a.b-c_d`, no leading or trailing punctuation). */
export function isProjectName(text: string): boolean {
  return NAME_RE.exec(text)?.[0].length === text.length;
}

/** Parses one PEP 508 requirement. Throws RequirementSyntaxError saying where and why. */
export function parseRequirement(text: string): Requirement {
  let i = 0;
  const skipWs = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  skipWs();
  const nm = NAME_RE.exec(text.slice(i));
  if (!nm) throw new RequirementSyntaxError('expected a package name', i);
  const name = nm[0];
  i += name.length;
  skipWs();

  const extras = new Set<string>();
  if (text[i] === '[') {
    const close = text.indexOf(']', i);
    if (close < 0) throw new RequirementSyntaxError("expected ']' to close the extras", i);
    const inner = text.slice(i + 1, close).trim();
    if (inner) {
      for (const raw of inner.split(',')) {
        const e = raw.trim();
        if (!/^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(e)) {
          throw new RequirementSyntaxError(`invalid extra name: ${JSON.stringify(e)}`, i + 1);
        }
        extras.add(normalizeProjectName(e));
      }
    }
    i = close + 1;
    skipWs();
  }

  let url: string | undefined;
  let specText = '';
  if (text[i] === '@') {
    i++;
    skipWs();
    const m = /^[^ \t]+/.exec(text.slice(i));
    if (!m) throw new RequirementSyntaxError('expected a URL after @', i);
    url = m[0];
    i += url.length;
    // A URL must be followed by whitespace before `;` (the `;` may be part of the URL).
    if (url.endsWith(';')) throw new RequirementSyntaxError('put a space between the URL and ;', i - 1);
    skipWs();
  } else {
    const semi = text.indexOf(';', i);
    const end = semi < 0 ? text.length : semi;
    specText = text.slice(i, end).trim();
    const startOfSpec = i;
    if (specText.startsWith('(')) {
      if (!specText.endsWith(')')) throw new RequirementSyntaxError("expected ')' to close the version specifier", startOfSpec);
      specText = specText.slice(1, -1).trim();
    }
    i = end;
    if (specText && !/^(~=|===|==|!=|<=|>=|<|>)/.test(specText)) {
      throw new RequirementSyntaxError(`expected a version specifier such as >=1.0, found: ${specText}`, startOfSpec);
    }
  }

  let specifier: SpecifierSet;
  try {
    specifier = parseSpecifierSet(specText);
  } catch (err) {
    throw new RequirementSyntaxError((err as Error).message, i);
  }

  let marker: Marker | undefined;
  if (text[i] === ';') {
    const markerStart = i + 1;
    const markerText = text.slice(markerStart);
    try {
      marker = parseMarker(markerText);
    } catch (err) {
      if (err instanceof MarkerSyntaxError) throw new RequirementSyntaxError(`invalid marker: ${err.message}`, markerStart + err.position);
      throw err;
    }
  } else if (i < text.length && text.slice(i).trim()) {
    throw new RequirementSyntaxError(`unexpected text: ${text.slice(i).trim()}`, i);
  }

  const req: Requirement = { name, key: normalizeProjectName(name), extras: [...extras].sort(), specifier };
  if (url !== undefined) req.url = url;
  if (marker) req.marker = marker;
  return req;
}

/** Canonical text: `name[a,b]>=1,<2 ; python_version < "3.11"` (the marker only when asked). */
export function formatRequirement(req: Requirement, opts: { marker?: boolean } = {}): string {
  let s = req.key;
  if (req.extras.length) s += `[${req.extras.join(',')}]`;
  if (req.url) s += ` @ ${req.url}`;
  else s += formatSpecifierSet(req.specifier);
  if (opts.marker && req.marker) s += `${req.url ? ' ' : ''}; ${formatMarker(req.marker)}`;
  return s;
}
