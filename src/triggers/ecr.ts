import * as z from '../shared/zod-mini';
import type { DesiredStateStore } from '../gitops/desired-state';
import { emptyResult, skippedResult, type TriggerResult } from './result';
import type { Log, RolloutStarter } from './starter';
import { tagRejection } from './tag-filter';
import { finish as done, record } from './record';

/** EventBridge `ECR Image Action` (source `aws.ecr`). */
const EcrPushEventSchema = z.looseObject({
  source: z.literal('aws.ecr', { error: 'source is not aws.ecr' }),
  'detail-type': z.literal('ECR Image Action', { error: 'detail-type is not "ECR Image Action"' }),
  account: z.string().check(z.regex(/^\d{12}$/, { error: 'account is not a 12-digit account id' })),
  region: z.string().check(z.minLength(1, { error: 'region is missing' })),
  time: z.optional(z.string()),
  detail: z.looseObject(
    {
      result: z.string({ error: 'detail.result is missing' }),
      'action-type': z.string({ error: 'detail.action-type is missing' }),
      'repository-name': z.string({ error: 'detail.repository-name is missing' }).check(z.minLength(1, { error: 'detail.repository-name is empty' })),
      'image-digest': z.string({ error: 'detail.image-digest is missing' }).check(z.regex(/^[a-z0-9]+:[a-f0-9]{32,}$/, { error: 'detail.image-digest is not a digest' })),
      'image-tag': z.optional(z.string()),
    },
    { error: 'detail is missing' },
  ),
});

export interface EcrTriggerDeps {
  desired: DesiredStateStore;
  starter: RolloutStarter;
  log: Log;
  now(): Date;
}

/** `<account>.dkr.ecr.<region>.amazonaws.com[.cn]`. */
export function registryFor(account: string, region: string): string {
  return `${account}.dkr.ecr.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/**
 * An image was pushed: start a rollout of every synced spec that tracks the repository and whose
 * tag filter passes, with the image pinned by digest. The digest is the revision: the same push
 * delivered twice (or the same digest pushed under two tags) starts one rollout.
 */
export async function handleEcrPush(event: unknown, deps: EcrTriggerDeps): Promise<TriggerResult> {
  const parsed = z.safeParse(EcrPushEventSchema, event);
  if (!parsed.success) return done(deps, 'ECR event', skippedResult(`not an ECR push event: ${parsed.error.issues[0]?.message ?? 'malformed'}`));
  const e = parsed.data;
  const d = e.detail;
  const tag = d['image-tag'] || undefined;
  const what = `ECR push ${d['repository-name']}:${tag ?? '<untagged>'}@${d['image-digest'].slice(0, 19)}`;
  if (d['action-type'] !== 'PUSH') return done(deps, what, skippedResult(`action-type is ${d['action-type']}, only PUSH starts rollouts`));
  if (d.result !== 'SUCCESS') return done(deps, what, skippedResult(`result is ${d.result}, only SUCCESS starts rollouts`));

  const specs = await deps.desired.findByEcrRepository(d['repository-name']);
  if (specs.length === 0) return done(deps, what, skippedResult(`no synced spec tracks ECR repository ${d['repository-name']}`));

  const result = emptyResult();
  const image = `${registryFor(e.account, e.region)}/${d['repository-name']}@${d['image-digest']}`;
  const pushedAt = e.time ?? deps.now().toISOString();
  for (const s of specs) {
    const why = tagRejection(tag, s.spec.triggers?.tags);
    if (why) {
      result.skipped.push({ specName: s.specName, reason: `${s.specName}: ${why}` });
      continue;
    }
    if (!(await deps.desired.recordImage(s.specName, { revision: d['image-digest'], image, pushedAt }))) {
      result.skipped.push({ specName: s.specName, reason: `${s.specName}: an image pushed later is already the desired one` });
      continue;
    }
    const outcome = await deps.starter.start({
      spec: s.spec,
      revision: d['image-digest'],
      image,
      source: `ecr:${d['repository-name']}:${tag ?? '<untagged>'}`,
    });
    record(result, outcome);
  }
  return done(deps, what, result);
}
