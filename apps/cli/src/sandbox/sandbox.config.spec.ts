import { describe, expect, it } from 'vitest';
import { isStewardError } from '@steward/contracts';
import { sandboxBuildMode } from './sandbox.config.js';

describe('sandboxBuildMode', () => {
  it('builds by default and skips only when told to', () => {
    expect(sandboxBuildMode({})).toBe('auto');
    expect(sandboxBuildMode({ STEWARD_SANDBOX_BUILD: '' })).toBe('auto');
    expect(sandboxBuildMode({ STEWARD_SANDBOX_BUILD: 'auto' })).toBe('auto');
    expect(sandboxBuildMode({ STEWARD_SANDBOX_BUILD: 'skip' })).toBe('skip');
    expect(sandboxBuildMode({ STEWARD_SANDBOX_BUILD: ' SKIP ' })).toBe('skip');
  });

  it('refuses any other value by name instead of guessing', () => {
    try {
      sandboxBuildMode({ STEWARD_SANDBOX_BUILD: 'no' });
      expect.unreachable('expected an error');
    } catch (error) {
      expect(isStewardError(error) && error.code).toBe('INVALID_INPUT');
      expect((error as Error).message).toMatch(/STEWARD_SANDBOX_BUILD must be one of auto, skip, got "no"/);
    }
  });
});
