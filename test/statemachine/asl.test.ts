import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import aslValidator from 'asl-validator';
import { loadDefinition } from '../../src/local/asl';

const dir = join(__dirname, '..', '..', 'statemachines');
const files = readdirSync(dir).filter((f) => f.endsWith('.asl.json'));

describe('statemachines/', () => {
  it('holds at least the rollout state machine', () => {
    expect(files).toContain('rollout.asl.json');
  });

  it.each(files)('%s is valid ASL (asl-validator), as written and with its references resolved', (file) => {
    const raw = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
    for (const definition of [raw, loadDefinition(join(dir, file))]) {
      const { isValid, errors } = aslValidator(definition, { checkPaths: true, checkArn: false });
      expect(errors).toEqual([]);
      expect(isValid).toBe(true);
    }
  });

  it.each(files)('%s uses JSONPath only (the local runner ignores JSONata and Variables)', (file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    expect(text).not.toMatch(/"QueryLanguage"\s*:\s*"JSONata"|"Assign"\s*:|\{%/);
  });
});
