import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SERVICE_NAMES } from '@steward/contracts';
import { loadRuntimeConfig, readServiceCredentials, type RuntimeConfig } from '@steward/config';
import { prepareHome } from './prepare-home.js';
import { ensureUiToken, readUiToken, writeBusSecrets } from './secrets.js';
import { CliError } from '../cli/cli-error.js';

const mode = (file: string): number => lstatSync(file).mode & 0o777;

describe('STEWARD_HOME secrets', () => {
  let root: string;
  let config: RuntimeConfig;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'steward-secrets-spec-'));
    config = loadRuntimeConfig({ STEWARD_HOME: join(root, 'home'), STEWARD_NATS_PORT: '17999' });
    prepareHome(config.paths);
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates every folder private to the owner', () => {
    for (const dir of [
      config.paths.home,
      config.paths.runDir,
      config.paths.natsRunDir,
      config.paths.logsDir,
      config.paths.dataDir,
    ]) {
      expect(mode(dir)).toBe(0o700);
    }
  });

  it('writes credentials each service can read, matching the server config, all 0600', () => {
    writeBusSecrets(config);
    const conf = readFileSync(config.paths.natsConfigFile, 'utf8');
    expect(mode(config.paths.natsConfigFile)).toBe(0o600);
    for (const service of SERVICE_NAMES) {
      const credentials = readServiceCredentials(config.paths, service);
      expect(credentials).toEqual({
        servers: 'nats://127.0.0.1:17999',
        user: service,
        pass: expect.any(String),
      });
      expect(conf).toContain(`password: ${JSON.stringify(credentials.pass)}`);
      expect(mode(config.paths.credentialsFile(service))).toBe(0o600);
    }
  });

  it('changes every password on every start', () => {
    writeBusSecrets(config);
    const first = readServiceCredentials(config.paths, 'ui').pass;
    writeBusSecrets(config);
    expect(readServiceCredentials(config.paths, 'ui').pass).not.toBe(first);
  });

  it('creates the UI token once and keeps it across starts', () => {
    expect(readUiToken(config.paths)).toBeUndefined();
    const token = ensureUiToken(config.paths);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(mode(config.paths.uiTokenFile)).toBe(0o600);
    expect(ensureUiToken(config.paths)).toBe(token);
  });

  it('replaces an unusable token file and refuses a symlinked one', () => {
    writeFileSync(config.paths.uiTokenFile, 'short\n', { mode: 0o644 });
    const token = ensureUiToken(config.paths);
    expect(token).not.toBe('short');
    expect(mode(config.paths.uiTokenFile)).toBe(0o600);

    rmSync(config.paths.uiTokenFile);
    const elsewhere = join(root, 'elsewhere');
    writeFileSync(elsewhere, `${'x'.repeat(43)}\n`);
    symlinkSync(elsewhere, config.paths.uiTokenFile);
    expect(() => ensureUiToken(config.paths)).toThrow(CliError);
  });
});
