import { readFileSync } from 'node:fs';
import { SCHEMA_PATH, schemaText } from '../../../scripts/write-schema';
import { DURATION_PATTERN } from '../../../src/spec';
import { specJsonSchema } from '../../../src/spec/json-schema';

interface ObjectSchema {
  type?: string;
  properties: Record<string, Record<string, unknown>>;
  required?: string[];
  additionalProperties?: unknown;
}

function section(name: string): ObjectSchema {
  return (specJsonSchema() as unknown as ObjectSchema).properties[name] as unknown as ObjectSchema;
}

describe('specJsonSchema', () => {
  it('matches the committed schemas/rollout-spec.schema.json', () => {
    // Prepare
    const committed = readFileSync(SCHEMA_PATH, 'utf8');

    // Act
    const fresh = schemaText();

    // Assess
    if (committed !== fresh) {
      throw new Error(`${SCHEMA_PATH} is stale: run \`npm run schema\` and commit the result`);
    }
    expect(JSON.parse(committed)).toEqual(specJsonSchema());
  });

  it('writes pretty JSON with a trailing newline', () => {
    // Act
    const text = schemaText();

    // Assess
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toMatch(/^ {2}"/);
  });

  it('rejects unknown keys at the top level and in every section', () => {
    // Prepare
    const schema = specJsonSchema() as unknown as ObjectSchema;

    // Act
    const sections = ['router', 'target', 'strategy', 'analysis', 'approval', 'triggers', 'notify'].map((name) => [name, section(name).additionalProperties]);

    // Assess
    expect(schema.additionalProperties).toBe(false);
    expect(Object.fromEntries(sections)).toEqual({
      router: false,
      target: false,
      strategy: false,
      analysis: false,
      approval: false,
      triggers: false,
      notify: false,
    });
  });

  it('requires only the sections without defaults', () => {
    // Act
    const required = (specJsonSchema() as unknown as ObjectSchema).required;

    // Assess
    expect(required).toEqual(['name', 'router', 'target', 'strategy']);
  });

  it.each([
    ['analysis', 'recheckInterval'],
    ['approval', 'timeout'],
  ])('describes %s.%s as a string with the duration pattern', (name, field) => {
    // Act
    const property = section(name).properties[field]!;

    // Assess
    expect(property.type).toBe('string');
    expect(property.pattern).toBe(DURATION_PATTERN);
    expect(property.description).toMatch(/duration/i);
  });

  it('describes strategy.bake as a duration or a { min, max } range of durations, nothing else', () => {
    // Act
    const [fixed, range] = section('strategy').properties.bake!.anyOf as [ObjectSchema & { pattern?: string }, ObjectSchema];

    // Assess
    expect(fixed.pattern).toBe(DURATION_PATTERN);
    expect(Object.keys(range.properties)).toEqual(['min', 'max', 'lookInterval']);
    expect(range.required).toEqual(['min', 'max']);
    expect(range.additionalProperties).toBe(false);
  });

  it('uses a duration pattern that accepts durations and refuses prose', () => {
    // Prepare
    const pattern = new RegExp(section('analysis').properties.recheckInterval!.pattern as string);

    // Act
    const accepted = ['30s', '5m', '24h', '1h30m', '2d'].filter((d) => pattern.test(d));
    const refused = ['5 minutes', '30m1h', '1.5h'].filter((d) => !pattern.test(d));

    // Assess
    expect(accepted).toEqual(['30s', '5m', '24h', '1h30m', '2d']);
    expect(refused).toEqual(['5 minutes', '30m1h', '1.5h']);
  });

  it('documents the enums and defaults users may leave out', () => {
    // Act
    const onTimeout = section('approval').properties.onTimeout!;
    const threshold = section('strategy').properties.threshold!;

    // Assess
    expect(onTimeout.enum).toEqual(['rollback', 'approve']);
    expect(onTimeout.default).toBe('rollback');
    expect(threshold.default).toBe(1);
  });
});
