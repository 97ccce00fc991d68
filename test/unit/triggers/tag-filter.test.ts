import { tagRejection, UNTAGGED } from '../../../src/triggers/tag-filter';

describe('tagRejection', () => {
  it.each([
    ['v1.2.3', undefined],
    ['release-7', undefined],
    ['latest', 'ignored'],
    [undefined, 'untagged'],
  ])('without filters: tag %p', (tag, rejected) => {
    const why = tagRejection(tag, undefined);
    if (rejected) expect(why).toMatch(rejected);
    else expect(why).toBeUndefined();
  });

  it('matches globs', () => {
    expect(tagRejection('v1.2.3', ['v*'])).toBeUndefined();
    expect(tagRejection('release-2026-03', ['release-*', 'v*'])).toBeUndefined();
    expect(tagRejection('feature-x', ['release-*', 'v*'])).toMatch(/matches none/);
  });

  it('matches semver ranges, with or without a leading v', () => {
    expect(tagRejection('1.2.0', ['semver:>=1.2.0'])).toBeUndefined();
    expect(tagRejection('v1.10.4', ['semver:>=1.2.0 <2'])).toBeUndefined();
    expect(tagRejection('1.1.9', ['semver:>=1.2.0'])).toMatch(/matches none/);
    expect(tagRejection('2.0.0', ['semver:^1.2.0'])).toMatch(/matches none/);
    expect(tagRejection('nightly', ['semver:>=1.2.0'])).toMatch(/matches none/);
    expect(tagRejection('1.3.0-rc.1', ['semver:>=1.2.0'])).toMatch(/matches none/);
  });

  it('lets latest and untagged pushes through only when listed literally', () => {
    expect(tagRejection('latest', ['*'])).toMatch(/ignored/);
    expect(tagRejection('latest', ['latest'])).toBeUndefined();
    expect(tagRejection(undefined, ['*'])).toMatch(/untagged/);
    expect(tagRejection(undefined, [UNTAGGED])).toBeUndefined();
    expect(tagRejection('v1', [UNTAGGED])).toMatch(/matches none/);
  });
});
