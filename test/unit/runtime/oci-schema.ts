// Validate generated specs against the OCI runtime-spec JSON schema
// (../shared/specs/oci-runtime/schema). The schemas are draft-04: their
// "$schema" lines are dropped so Ajv's default draft reads them (the keywords
// they use mean the same there), and each file is registered under its own
// file name so relative "$ref"s like "defs.json#/..." resolve.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { serializeSpec, type OciSpec } from '../../../src/runtime/spec/types.js';

/** The repository root, from dist/test/unit/runtime/ or test/unit/runtime/. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..').replace(/\/dist$/, '');
/** Copies of the specs under test/fixtures/specs (see its README). */
export const sharedSpecs = path.join(repoRoot, 'test/fixtures/specs');

let validator: ValidateFunction | undefined;

function stripSchemaKeyword(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripSchemaKeyword);
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) if (k !== '$schema') out[k] = stripSchemaKeyword(v);
    return out;
  }
  return node;
}

function compile(): ValidateFunction {
  const dir = path.join(sharedSpecs, 'oci-runtime/schema');
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    if (file === 'config-schema.json') continue;
    ajv.addSchema(stripSchemaKeyword(JSON.parse(readFileSync(path.join(dir, file), 'utf8'))) as object, file);
  }
  const root = stripSchemaKeyword(JSON.parse(readFileSync(path.join(dir, 'config-schema.json'), 'utf8'))) as object;
  ajv.addSchema(root, 'config-schema.json');
  return ajv.getSchema('config-schema.json')!;
}

/** Throws with Ajv's errors when the spec does not match the schema. */
export function assertValidSpec(spec: OciSpec): void {
  validator ??= compile();
  // Validate what runc would read: the serialized JSON (bigints become numbers).
  const doc: unknown = JSON.parse(serializeSpec(spec));
  if (!validator(doc)) {
    throw new Error(`spec does not match the OCI schema: ${JSON.stringify(validator.errors, null, 1)}`);
  }
}
