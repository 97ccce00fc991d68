import picomatch from 'picomatch';
import semver from 'semver';

/** How a spec lists untagged pushes in `triggers.tags` (`<` cannot appear in an image tag). */
export const UNTAGGED = '<untagged>';
const SEMVER_PREFIX = 'semver:';

/**
 * Whether an image tag passes a spec's `triggers.tags`. Filters are globs (`v*`, `release-*`)
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
    if (picomatch.isMatch(tag, filter, { dot: true })) return undefined;
  }
  return `tag "${tag}" matches none of triggers.tags [${list.join(', ')}]`;
}
