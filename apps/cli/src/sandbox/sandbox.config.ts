import { StewardError } from '@steward/contracts';
import type { Env } from '@steward/config';

/** `auto`: `up` and `test` build a missing image (as root). `skip`: they leave it alone. */
export const SANDBOX_BUILD_MODES = ['auto', 'skip'] as const;
export type SandboxBuildMode = (typeof SANDBOX_BUILD_MODES)[number];

/**
 * `STEWARD_SANDBOX_BUILD`, for runs that never execute code and must not spend minutes on an image
 * (CI legs, test stacks). Read here until libs/config's runtime config carries it.
 */
export function sandboxBuildMode(
  // eslint-disable-next-line no-restricted-properties -- the one CLI setting libs/config does not read yet
  env: Env = process.env,
): SandboxBuildMode {
  const raw = env['STEWARD_SANDBOX_BUILD']?.trim().toLowerCase();
  if (raw === undefined || raw === '') return 'auto';
  const mode = SANDBOX_BUILD_MODES.find((candidate) => candidate === raw);
  if (mode === undefined) {
    throw new StewardError(
      'INVALID_INPUT',
      `STEWARD_SANDBOX_BUILD must be one of ${SANDBOX_BUILD_MODES.join(', ')}, got "${env['STEWARD_SANDBOX_BUILD']}"`,
      { details: { variable: 'STEWARD_SANDBOX_BUILD' } },
    );
  }
  return mode;
}
