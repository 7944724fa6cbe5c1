import { describe, expect, it } from 'vitest';
import { isPathWithin } from './folder-policy.js';

describe('isPathWithin', () => {
  it('compares whole segments, never string prefixes', () => {
    expect(isPathWithin('/a/work', '/a/work')).toBe(true);
    expect(isPathWithin('/a/work', '/a/work/x/y')).toBe(true);
    expect(isPathWithin('/a/work', '/a/work-secrets')).toBe(false);
    expect(isPathWithin('/a/work', '/a')).toBe(false);
    expect(isPathWithin('/a/work', '/a/work/../other')).toBe(false);
  });
});
