// A license string from package metadata (a conda repodata record's `license`,
// a wheel's `License-Expression` or `License` header) as a CycloneDX 1.5
// license choice. SPDX identifiers are matched case-insensitively, as the SPDX
// spec allows (https://spdx.github.io/spdx-spec/v2.3/SPDX-license-expressions/),
// and written in their canonical spelling (`zlib` -> `Zlib`); an expression of
// SPDX ids (`MIT OR Apache-2.0`) stays an expression; anything else (`BSD`,
// `BSD-derived (http://...)`) is kept verbatim as a license name, never guessed
// into an id. CycloneDX: https://cyclonedx.org/docs/1.5/json/#components_items_licenses
import { createRequire } from 'node:module';

/** One entry of a CycloneDX `licenses` array. */
export type CdxLicenseChoice =
  | { license: { id: string } }
  | { license: { name: string; text?: { content: string; contentType: string } } }
  | { expression: string };

const require = createRequire(import.meta.url);
// spdx-license-ids ships the SPDX license list as JSON (current and deprecated ids).
const SPDX_IDS: ReadonlyMap<string, string> = new Map(
  [...(require('spdx-license-ids') as string[]), ...(require('spdx-license-ids/deprecated.json') as string[])].map((id) => [id.toLowerCase(), id]),
);

/** Metadata placeholders that mean "no license stated". */
const NOTHING = new Set(['', 'unknown', 'none', 'null', 'n/a', 'na', 'other', 'license.txt', 'see license', 'see license file']);

/** The canonical SPDX id for `token` (case-insensitive), or undefined. */
export function spdxId(token: string): string | undefined {
  return SPDX_IDS.get(token.toLowerCase());
}

/**
 * An SPDX license expression with every license id known (`MIT OR Apache-2.0`,
 * `GPL-2.0-or-later WITH Classpath-exception-2.0`, `(MIT AND BSD-3-Clause)`),
 * rewritten with canonical ids; undefined when `text` is not one.
 */
export function spdxExpression(text: string): string | undefined {
  const tokens = text.replace(/([()])/g, ' $1 ').trim().split(/\s+/);
  const out: string[] = [];
  let expectLicense = true;
  let depth = 0;
  let afterWith = false;
  for (const t of tokens) {
    const upper = t.toUpperCase();
    if (t === '(') {
      if (!expectLicense) return undefined;
      depth++;
      out.push(t);
    } else if (t === ')') {
      if (expectLicense || --depth < 0) return undefined;
      out.push(t);
    } else if ((upper === 'AND' || upper === 'OR' || upper === 'WITH') && (t === upper || t === t.toLowerCase())) {
      if (expectLicense) return undefined;
      expectLicense = true;
      afterWith = upper === 'WITH';
      out.push(upper);
    } else {
      if (!expectLicense) return undefined;
      if (afterWith) {
        // exception ids (Classpath-exception-2.0, LLVM-exception): kept as written
        if (!/^[A-Za-z0-9.-]+$/.test(t)) return undefined;
        out.push(t);
      } else {
        const plus = t.endsWith('+');
        const id = /^LicenseRef-[A-Za-z0-9.-]+$/.test(t) ? t : spdxId(plus ? t.slice(0, -1) : t);
        if (!id) return undefined;
        out.push(plus ? `${id}+` : id);
      }
      expectLicense = false;
      afterWith = false;
    }
  }
  if (expectLicense || depth !== 0 || out.length === 0) return undefined;
  return out.join(' ').replace(/\( /g, '(').replace(/ \)/g, ')');
}

/** `license` metadata as CycloneDX license choices; undefined when it states nothing. */
export function licenseChoices(text: string | undefined): CdxLicenseChoice[] | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (NOTHING.has(trimmed.toLowerCase())) return undefined;
  const lines = trimmed.split(/\r?\n/);
  if (lines.length === 1) {
    const id = spdxId(trimmed);
    if (id) return [{ license: { id } }];
    const expression = spdxExpression(trimmed);
    if (expression) return [{ expression }];
    return [{ license: { name: trimmed } }];
  }
  // Old setuptools put the whole license text in `License:`; the first line names
  // it well enough, and the text is kept whole.
  return [{ license: { name: lines[0]!.trim().slice(0, 200), text: { content: trimmed, contentType: 'text/plain' } } }];
}
