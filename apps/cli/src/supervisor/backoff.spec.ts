import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

const take = (backoff: Backoff, count: number): number[] =>
  Array.from({ length: count }, () => backoff.next());

describe('Backoff', () => {
  it('doubles from 0.5 s up to a 30 s cap', () => {
    const backoff = new Backoff({ random: () => 0.5 });
    expect(take(backoff, 9)).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('starts again from 0.5 s after a reset', () => {
    const backoff = new Backoff({ random: () => 0.5 });
    take(backoff, 5);
    backoff.reset();
    expect(take(backoff, 2)).toEqual([500, 1_000]);
  });

  it('spreads each delay by up to 20% either way without exceeding the cap', () => {
    const low = new Backoff({ random: () => 0 });
    const high = new Backoff({ random: () => 0.999999 });
    expect(take(low, 3)).toEqual([400, 800, 1_600]);
    expect(take(high, 3)).toEqual([600, 1_200, 2_400]);
    expect(take(high, 10).every((delay) => delay <= 30_000)).toBe(true);
    expect(take(low, 10).at(-1)).toBe(24_000);
  });

  it('gives different children different delays', () => {
    const delays = new Set(Array.from({ length: 20 }, () => new Backoff().next()));
    expect(delays.size).toBeGreaterThan(1);
  });
});
