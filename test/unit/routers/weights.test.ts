import { sameTargets } from '../../../src/routers/weights';

describe('sameTargets', () => {
  it('holds for the same names and weights answered in another order', () => {
    expect(sameTargets([{ name: 'b', weight: 90 }, { name: 'a', weight: 10 }], [{ name: 'a', weight: 10 }, { name: 'b', weight: 90 }])).toBe(true);
  });

  it('fails on another weight, a missing target or an extra one', () => {
    const written = [{ name: 'a', weight: 10 }, { name: 'b', weight: 90 }];
    expect(sameTargets(written, [{ name: 'a', weight: 11 }, { name: 'b', weight: 90 }])).toBe(false);
    expect(sameTargets(written, [{ name: 'b', weight: 90 }])).toBe(false);
    expect(sameTargets(written, [...written, { name: 'c', weight: 0 }])).toBe(false);
  });
});
