import { StewardError } from '@steward/contracts';
import type { StewardPaths } from './runtime.config.js';
import { readFileNoFollow } from './secure-file.js';

const MIN_TOKEN_LENGTH = 32;

/** The token that opens the UI. Refused when others can read it, when it is a symlink, or when it is too short to be secret. */
export function readUiToken(paths: StewardPaths): string {
  const file = paths.uiTokenFile;
  const read = readFileNoFollow(file);
  if (!read.ok) {
    throw new StewardError(
      read.reason === 'missing' ? 'NOT_FOUND' : 'FORBIDDEN',
      `UI token file ${file} ${read.detail}`,
      {
        details: { file },
      },
    );
  }
  if ((read.stats.mode & 0o077) !== 0) {
    throw new StewardError('FORBIDDEN', `UI token file ${file} is open to other users; run chmod 600 on it`, {
      details: { file },
    });
  }
  const token = read.text.trim();
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new StewardError(
      'INVALID_INPUT',
      `UI token in ${file} is shorter than ${MIN_TOKEN_LENGTH} characters`,
      {
        details: { file },
      },
    );
  }
  return token;
}
