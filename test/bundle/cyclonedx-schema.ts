// The official CycloneDX 1.5 JSON schema, as shipped by @cyclonedx/cyclonedx-library
// (res/schema/bom-1.5.SNAPSHOT.schema.json, copied from CycloneDX/specification;
// its README names the commit), compiled with ajv (draft-07) + ajv-formats.
// The bom schema $refs spdx.SNAPSHOT.schema.json and jsf-0.82.SNAPSHOT.schema.json,
// whose own $id lacks ".SNAPSHOT": they are registered under the referenced names,
// as the library's own validator does.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';

const require = createRequire(import.meta.url);
const SCHEMA_DIR = path.join(path.dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res/schema');
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function load(name: string, id?: string): Record<string, unknown> {
  const schema = JSON.parse(readFileSync(path.join(SCHEMA_DIR, name), 'utf8')) as Record<string, unknown>;
  return id ? { ...schema, $id: id } : schema;
}

let compiled: ((doc: unknown) => boolean) & { errors?: ErrorObject[] | null } | undefined;

/** Validates `doc` against CycloneDX 1.5; returns the errors (empty when valid). */
export function cyclonedx15Errors(doc: unknown): string[] {
  if (!compiled) {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(ajv);
    // iri-reference (draft 2019 format) is not in ajv-formats: a URL parser checks it.
    ajv.addFormat('iri-reference', (s: string) => {
      try {
        new URL(s, 'http://base.invalid/');
        return true;
      } catch {
        return false;
      }
    });
    ajv.addFormat('idn-email', /^[^\s@]+@[^\s@]+$/);
    ajv.addSchema(load('spdx.SNAPSHOT.schema.json', 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json'));
    ajv.addSchema(load('jsf-0.82.SNAPSHOT.schema.json', 'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json'));
    compiled = ajv.compile(load('bom-1.5.SNAPSHOT.schema.json'));
  }
  if (compiled(doc)) return [];
  return (compiled.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
