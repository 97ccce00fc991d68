import semver from 'semver';
import { globMatch } from '../shared/glob';

/** How a spec lists untagged pushes in `triggers.tags` (`<` cannot appear in an image tag). */
export const UNTAGGED = '<untagged>';
const SEMVER_PREFIX = 'semver:';

/** ECR image tags are at most 128 characters; longer input is refused before matching. */
export const MAX_TAG_LENGTH = 128;

/**
 * Whether an image tag passes a spec's `triggers.tags`. Filters are globs (`v*`, `release-*`;
 * `*` and `?` only, matched in linear space without regular expressions, so no filter can hold the trigger)
 * or semver ranges prefixed `semver:` (`semver:>=1.2.0`, a leading `v` in the tag is accepted).
 * `latest` and untagged pushes only pass when listed literally (`latest`, `<untagged>`): a
 * moving tag or an anonymous image must never start a production rollout by accident.
 * Returns undefined when the tag passes, else why not.
 */
export function tagRejection(tag: string | undefined, filters: readonly string[] | undefined): string | undefined {
  const list = filters ?? [];
  if (tag === undefined || tag === '') {
    return list.includes(UNTAGGED) ? undefined : `untagged push (list "${UNTAGGED}" in triggers.tags to accept it)`;
  }
  if (tag.length > MAX_TAG_LENGTH) return `tag of ${tag.length} characters is longer than ECR allows (${MAX_TAG_LENGTH})`;
  if (tag === 'latest') return list.includes('latest') ? undefined : 'tag "latest" is ignored unless triggers.tags lists it';
  if (list.length === 0) return undefined;
  for (const filter of list) {
    if (filter === UNTAGGED) continue;
    if (filter.startsWith(SEMVER_PREFIX)) {
      const range = filter.slice(SEMVER_PREFIX.length).trim();
      const version = semver.valid(tag, { loose: true });
      if (version && semver.validRange(range) && semver.satisfies(version, range)) return undefined;
      continue;
    }
    if (filter.length <= MAX_TAG_LENGTH && globMatch(filter, tag)) return undefined;
  }
  return `tag "${tag}" matches none of triggers.tags [${list.join(', ')}]`;
}
