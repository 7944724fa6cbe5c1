import { StewardError, type ServiceName } from '@steward/contracts';
import { z } from 'zod';
import type { StewardPaths } from './runtime.config.js';
import { readFileNoFollow } from './secure-file.js';

const serviceCredentialsSchema = z.object({
  servers: z.string().min(1),
  user: z.string().min(1),
  pass: z.string().min(1),
});
export type ServiceCredentials = z.infer<typeof serviceCredentialsSchema>;

/**
 * The bus password of one service. A file anyone else on the machine can read, or a symlink that
 * could point at someone else's secret, is refused rather than used.
 */
export function readServiceCredentials(paths: StewardPaths, service: ServiceName): ServiceCredentials {
  const file = paths.credentialsFile(service);
  const read = readFileNoFollow(file);
  if (!read.ok) {
    const code =
      read.reason === 'missing' ? 'NOT_FOUND' : read.reason === 'unreadable' ? 'UNAVAILABLE' : 'FORBIDDEN';
    throw new StewardError(code, `credentials file ${file} ${read.detail}`, { details: { file } });
  }
  const mode = read.stats.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new StewardError(
      'FORBIDDEN',
      `credentials file ${file} is open to other users (mode ${mode.toString(8).padStart(4, '0')}); run chmod 600 on it`,
      { details: { file, mode } },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(read.text);
  } catch (error) {
    throw new StewardError('INVALID_INPUT', `credentials file ${file} is not valid JSON`, {
      details: { file },
      cause: error,
    });
  }
  const parsed = serviceCredentialsSchema.safeParse(json);
  if (!parsed.success) {
    throw new StewardError(
      'INVALID_INPUT',
      `credentials file ${file} has the wrong shape: ${z.prettifyError(parsed.error)}`,
      {
        details: { file },
      },
    );
  }
  return parsed.data;
}
