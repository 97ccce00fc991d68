import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { RolloutSpec } from './schema';
import { SpecValidationError } from './errors';
import { parseSpec } from './validate';

/** Parses YAML or JSON text (JSON is YAML) and validates it. */
export function parseSpecText(text: string, source?: string): RolloutSpec {
  let document: unknown;
  try {
    document = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    const message = error instanceof YAMLParseError ? error.message.split('\n')[0]! : String(error);
    throw new SpecValidationError([{ path: '', message: `is not valid YAML or JSON: ${message}` }], source);
  }
  return parseSpec(document, source);
}

/** Reads and validates a spec file. */
export async function loadSpecFile(path: string): Promise<RolloutSpec> {
  return parseSpecText(await readFile(path, 'utf8'), path);
}
