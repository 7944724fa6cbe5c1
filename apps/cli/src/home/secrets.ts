import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { SERVICE_NAMES, type ServiceName } from '@steward/contracts';
import type { RuntimeConfig, StewardPaths } from '@steward/config';
import { CliError } from '../cli/cli-error.js';
import { generatePasswords, renderNatsConfig } from '../nats/nats-config.js';

/**
 * Writes a secret through a fresh 0600 file renamed into place: readers never see half a file,
 * and a symlink planted at the target is replaced rather than followed.
 */
export function writeSecretFile(file: string, content: string): void {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, content, { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

export interface BusCredentials {
  readonly servers: string;
  readonly user: ServiceName;
  readonly pass: string;
}

export function busCredentials(natsPort: number, service: ServiceName, pass: string): BusCredentials {
  return { servers: `nats://127.0.0.1:${natsPort}`, user: service, pass };
}

/**
 * Fresh passwords on every start: a secret leaked from an earlier run is worth nothing, and
 * the server config and every service's credentials always agree.
 */
export function writeBusSecrets(config: RuntimeConfig): void {
  const passwords = generatePasswords();
  for (const service of SERVICE_NAMES) {
    const credentials = busCredentials(config.natsPort, service, passwords[service]);
    writeSecretFile(config.paths.credentialsFile(service), `${JSON.stringify(credentials, null, 2)}\n`);
  }
  writeSecretFile(
    config.paths.natsConfigFile,
    renderNatsConfig({ port: config.natsPort, storeDir: config.paths.natsStoreDir, passwords }),
  );
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,}$/;

export function generateUiToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The UI token if a usable one is on disk; a symlink or a non-file there is refused. */
export function readUiToken(paths: StewardPaths): string | undefined {
  const file = paths.uiTokenFile;
  let stats;
  try {
    stats = lstatSync(file);
  } catch {
    return undefined;
  }
  if (!stats.isFile()) {
    throw new CliError(`${file} is not a regular file; remove it and run "steward up" again`);
  }
  const token = readFileSync(file, 'utf8').trim();
  return TOKEN_PATTERN.test(token) ? token : undefined;
}

/**
 * Kept across restarts so the address a person bookmarked keeps working; created only when
 * there is none (or it is unusable).
 */
export function ensureUiToken(paths: StewardPaths): string {
  const existing = readUiToken(paths);
  if (existing !== undefined) {
    chmodSync(paths.uiTokenFile, 0o600);
    return existing;
  }
  const token = generateUiToken();
  writeSecretFile(paths.uiTokenFile, `${token}\n`);
  return token;
}

export function uiAddress(port: number, token?: string): string {
  const base = `http://127.0.0.1:${port}/`;
  return token === undefined ? base : `${base}?token=${token}`;
}
