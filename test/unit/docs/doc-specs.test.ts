import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseSpecText } from '../../../src/spec/load';

/**
 * Every rollout spec the README and the guides show is one a user may copy: each must pass the
 * same validation as `canaryctl validate`. A YAML block is a spec when it has `router` and `target`.
 */
const ROOT = join(__dirname, '..', '..', '..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

/** Fenced ```yaml blocks, also inside list items (indented fences), with their starting line. */
function yamlBlocks(markdown: string): Array<{ line: number; text: string }> {
  const blocks: Array<{ line: number; text: string }> = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```ya?ml\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.slice(indent));
    blocks.push({ line: i + 2, text: body.join('\n') });
    i = j;
  }
  return blocks;
}

const specs = DOCS.flatMap((file) =>
  yamlBlocks(readFileSync(join(ROOT, file), 'utf8'))
    .filter((b) => {
      const doc = parse(b.text) as Record<string, unknown> | null;
      return typeof doc === 'object' && doc !== null && 'router' in doc && 'target' in doc;
    })
    .map((b) => ({ where: `${file}:${b.line}`, text: b.text })),
);

describe('specs shown in the README and docs/', () => {
  it('finds the specs of the README and the ECS guide (the extraction itself works)', () => {
    expect(specs.map((s) => s.where.split(':')[0])).toEqual(expect.arrayContaining(['README.md', join('docs', 'ecs.md')]));
  });

  it.each(specs.map((s) => [s.where, s.text]))('%s passes canaryctl validate', (where, text) => {
    // A router section's snippet shows router + target only: validate it inside the smallest whole spec.
    const doc = parse(text) as Record<string, unknown>;
    const whole = 'name' in doc ? text : `name: snippet\nstrategy: { steps: [50, 100] }\n${text}`;
    expect(() => parseSpecText(whole, where)).not.toThrow();
  });

  it.each(readdirSync(join(ROOT, 'examples')).filter((f) => /\.ya?ml$/.test(f)))('examples/%s passes canaryctl validate', (file) => {
    expect(() => parseSpecText(readFileSync(join(ROOT, 'examples', file), 'utf8'), file)).not.toThrow();
  });

  it('reads an indented fence inside a list item and leaves other languages out', () => {
    const md = 'x\n1. spec:\n   ```yaml\n   name: a\n   router: {}\n   ```\n```sh\nnpm ci\n```\n';

    expect(yamlBlocks(md)).toEqual([{ line: 4, text: 'name: a\nrouter: {}' }]);
  });
});
