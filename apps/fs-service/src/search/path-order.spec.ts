import { describe, expect, it } from 'vitest';
import { comparePaths, FirstInOrder } from './path-order.js';

describe('result order', () => {
  it('compares paths segment by segment', () => {
    const paths = ['/r/a-b', '/r/a/z', '/r/a', '/r/B', '/r/a.txt', '/r/a/b/c'];
    expect([...paths].sort(comparePaths)).toEqual([
      '/r/B',
      '/r/a',
      '/r/a/b/c',
      '/r/a/z',
      '/r/a-b',
      '/r/a.txt',
    ]);
  });

  it('keeps the first items in order whatever order they are offered in', () => {
    const kept = new FirstInOrder<{ path: string; line: number }>(3);
    const offered = [
      { path: '/r/c', line: 1 },
      { path: '/r/a', line: 9 },
      { path: '/r/b', line: 2 },
      { path: '/r/a', line: 2 },
      { path: '/r/d', line: 1 },
      { path: '/r/b', line: 1 },
    ];
    for (const item of offered) kept.offer(item);
    expect(kept.sorted()).toEqual([
      { path: '/r/a', line: 2 },
      { path: '/r/a', line: 9 },
      { path: '/r/b', line: 1 },
    ]);
  });

  it('says in advance whether an item would still be kept', () => {
    const kept = new FirstInOrder<{ path: string; line: number }>(1);
    kept.offer({ path: '/r/m', line: 5 });
    expect(kept.admits('/r/m', 4)).toBe(true);
    expect(kept.admits('/r/m', 6)).toBe(false);
    expect(kept.admitsPath('/r/a')).toBe(true);
    expect(kept.admitsPath('/r/z')).toBe(false);
  });
});
