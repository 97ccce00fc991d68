import * as z from '../shared/zod-mini';
import { resourcesOf } from '../spec/resources';
import type { RolloutSpec } from '../spec';
import { globMatch } from '../shared/glob';
import { ConfigurationError, NotOwnedError } from '../shared/errors';

/**
 * Ownership: a deployment declares which spec sources may move which resources. The binding is an
 * allow-list the platform team writes into the deployment (parameter `ownership`), not resource
 * tags: it is enforced before any AWS call, it covers all four routers and ECS alike (Lattice and
 * App Mesh route writes cannot all be conditioned on `aws:ResourceTag`), and changing it takes a
 * deployment, whereas a tag can be changed by anyone allowed to tag in the account.
 */

const pattern = z.string().check(z.minLength(1), z.maxLength(2048));

// zod/mini (src/shared/zod-mini.ts): Prepare and the triggers read the bindings, and the other
// functions bundle this module behind a lazy require; neither should carry the classic API for it.
export const BindingSchema = z
  .strictObject({
    /** Shown in errors: the team or service this binding is for. */
    name: z.string().check(z.minLength(1), z.maxLength(128)),
    /** Git source: repository (`owner/repo` or CodeCommit name) and spec path globs. */
    repository: z.optional(pattern),
    path: z.optional(pattern),
    /** Spec name glob: narrows a git binding; alone (no repository), binds manual starts of that spec. */
    spec: z.optional(pattern),
    /** Resource globs (`*` any run, `?` one character) over the strings `resourcesOf` returns. */
    resources: z.array(pattern).check(z.minLength(1), z.maxLength(200)),
  })
  .check(
    z.refine((b) => b.repository !== undefined || b.spec !== undefined, { error: 'a binding names a repository or a spec' }),
    z.refine((b) => b.path === undefined || b.repository !== undefined, { error: 'path needs repository' }),
  );
export type Binding = z.infer<typeof BindingSchema>;

export const OwnershipSchema = z.strictObject({ bindings: z.array(BindingSchema).check(z.maxLength(500)) });
export type Ownership = z.infer<typeof OwnershipSchema>;

/** Where the spec of an execution came from, as Prepare established it (never as the input claims). */
export type SpecSource =
  | { kind: 'git'; repository: string; path: string; revision: string }
  | { kind: 'manual'; by?: string };

/** Parses the deployment's bindings (JSON); empty or absent: no binding, every rollout is refused. */
export function parseOwnership(text: string | undefined): Ownership {
  if (!text?.trim()) return { bindings: [] };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`ownership bindings (deployment parameter ownership) are not JSON: ${(error as Error).message}`);
  }
  const parsed = OwnershipSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigurationError(`ownership bindings (deployment parameter ownership): ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

export function describeSource(source: SpecSource): string {
  return source.kind === 'git' ? `${source.repository}:${source.path}` : `a manual start${source.by ? ` by ${source.by}` : ''}`;
}

/**
 * The bindings that apply to a source: a binding with a repository binds git sources (every field
 * it names must match); one with only a spec name binds manual starts of that spec. A spec-name
 * binding never applies to git, else any repository could declare that name and use it.
 */
export function bindingsFor(specName: string, source: SpecSource, ownership: Ownership): Binding[] {
  return ownership.bindings.filter((b) => {
    if (b.spec !== undefined && !globMatch(b.spec, specName)) return false;
    if (b.repository === undefined) return source.kind === 'manual';
    if (source.kind !== 'git' || !globMatch(b.repository, source.repository)) return false;
    return b.path === undefined || globMatch(b.path, source.path);
  });
}

/**
 * Throws NotOwnedError naming the resource and the binding when the spec would move anything its
 * source is not bound to. Pure: call it before any router or workload is read.
 */
export function checkOwnership(spec: RolloutSpec, source: SpecSource, ownership: Ownership): void {
  const from = describeSource(source);
  const bindings = bindingsFor(spec.name, source, ownership);
  if (bindings.length === 0) {
    throw new NotOwnedError(
      `${spec.name} from ${from}: no ownership binding matches this source` +
        (ownership.bindings.length === 0 ? ' (the deployment parameter ownership declares none)' : '') +
        '; nothing was changed',
    );
  }
  for (const resource of resourcesOf(spec)) {
    if (bindings.some((b) => b.resources.some((p) => globMatch(p, resource)))) continue;
    throw new NotOwnedError(
      `${spec.name} from ${from}: ${resource} is outside its ownership binding ${bindings.map((b) => `"${b.name}"`).join(', ')} ` +
        `(allowed: ${bindings.flatMap((b) => b.resources).join(', ')}); nothing was changed`,
    );
  }
}
