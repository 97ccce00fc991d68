/**
 * Writes schemas/rollout-spec.schema.json from the zod spec schema (`npm run schema`).
 * The file is committed for editors; test/unit/spec/json-schema.test.ts fails when it is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { specJsonSchema } from '../src/spec/json-schema';

/** Where the committed schema lives. */
export const SCHEMA_PATH = join(__dirname, '..', 'schemas', 'rollout-spec.schema.json');

/** The exact text of the schema file: pretty JSON with a trailing newline. */
export function schemaText(): string {
  return `${JSON.stringify(specJsonSchema(), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(SCHEMA_PATH, schemaText());
  console.log(`wrote ${SCHEMA_PATH}`);
}
