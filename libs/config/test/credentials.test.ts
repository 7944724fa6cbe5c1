import { StewardError } from '@steward/contracts';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readServiceCredentials, resolveStewardPaths, type StewardPaths } from '../src/index.js';

let root: string;
let paths: StewardPaths;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'steward-creds-'));
  paths = resolveStewardPaths({ STEWARD_HOME: root });
  mkdirSync(paths.natsRunDir, { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const good = { servers: 'nats://127.0.0.1:7422', user: 'orchestrator', pass: 's3cret' };

function writeCredentials(content: unknown, mode: number): string {
  const file = paths.credentialsFile('orchestrator');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  chmodSync(file, mode);
  return file;
}

function refusal(): StewardError {
  try {
    readServiceCredentials(paths, 'orchestrator');
  } catch (error) {
    if (error instanceof StewardError) return error;
    throw error;
  }
  throw new Error('expected the credentials to be refused');
}

describe('readServiceCredentials', () => {
  it('reads a 0600 credentials file', () => {
    writeCredentials(good, 0o600);
    expect(readServiceCredentials(paths, 'orchestrator')).toEqual(good);
  });

  it.each([0o644, 0o640, 0o604, 0o660])('refuses a file with mode %o as FORBIDDEN', (mode) => {
    const file = writeCredentials(good, mode);
    const error = refusal();
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain(file);
  });

  it('refuses a symlink even to a private file', () => {
    const target = join(root, 'elsewhere.json');
    writeFileSync(target, JSON.stringify(good));
    chmodSync(target, 0o600);
    symlinkSync(target, paths.credentialsFile('orchestrator'));
    const error = refusal();
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain('symbolic link');
  });

  it('reports a missing file as NOT_FOUND', () => {
    expect(refusal().code).toBe('NOT_FOUND');
  });

  it.each([
    ['malformed JSON', '{"servers": '],
    ['a missing password', { servers: 'nats://127.0.0.1:7422', user: 'orchestrator' }],
    ['a number for the user', { ...good, user: 7 }],
  ])('rejects %s as INVALID_INPUT', (_name, content) => {
    writeCredentials(content, 0o600);
    expect(refusal().code).toBe('INVALID_INPUT');
  });
});
