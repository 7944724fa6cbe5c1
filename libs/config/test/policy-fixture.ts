import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  POLICY_KEY_NAMES,
  POLICY_KEYS,
  type EffectivePolicy,
  type LoadPolicyOptions,
  type PolicyKey,
} from '../src/index.js';

export interface PolicyFixture {
  readonly root: string;
  readonly managedDir: string;
  readonly dropInDir: string;
  readonly settingsFile: string;
  /** The options every test passes, so nothing depends on this machine's /etc or environment. */
  readonly options: LoadPolicyOptions & { managedDir: string; settingsFile: string };
  writeManaged(content: unknown, mode?: number): string;
  writeDropIn(name: string, content: unknown, mode?: number): string;
  writeSettings(content: unknown): void;
  cleanup(): void;
}

function text(content: unknown): string {
  return typeof content === 'string' ? content : JSON.stringify(content, null, 2);
}

/** Writes with an explicit mode, so the test does not depend on the umask of whoever runs it. */
export function writeWithMode(path: string, content: unknown, mode = 0o644): string {
  writeFileSync(path, text(content));
  chmodSync(path, mode);
  return path;
}

export function createPolicyFixture(): PolicyFixture {
  const root = mkdtempSync(join(tmpdir(), 'steward-policy-'));
  const managedDir = join(root, 'managed');
  const dropInDir = join(managedDir, 'managed-settings.d');
  const settingsFile = join(root, 'home', 'settings.json');
  mkdirSync(managedDir, { mode: 0o755 });
  chmodSync(managedDir, 0o755);
  mkdirSync(join(root, 'home'));
  return {
    root,
    managedDir,
    dropInDir,
    settingsFile,
    options: { managedDir, settingsFile, env: {}, platform: 'linux', trustedOwnerUid: 0 },
    writeManaged: (content, mode) => writeWithMode(join(managedDir, 'managed-settings.json'), content, mode),
    writeDropIn: (name, content, mode) => {
      mkdirSync(dropInDir, { recursive: true, mode: 0o755 });
      chmodSync(dropInDir, 0o755);
      return writeWithMode(join(dropInDir, name), content, mode);
    },
    writeSettings: (content) => writeWithMode(settingsFile, content),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export function mostRestrictiveValues(): Record<PolicyKey, unknown> {
  return Object.fromEntries(POLICY_KEY_NAMES.map((key) => [key, POLICY_KEYS[key].mostRestrictive])) as Record<
    PolicyKey,
    unknown
  >;
}

export function defaultValues(): Record<PolicyKey, unknown> {
  return Object.fromEntries(POLICY_KEY_NAMES.map((key) => [key, POLICY_KEYS[key].default])) as Record<
    PolicyKey,
    unknown
  >;
}

export function expectEveryKeyFailedClosed(policy: EffectivePolicy): void {
  expect(policy.values).toEqual(mostRestrictiveValues());
  for (const key of POLICY_KEY_NAMES) {
    expect(policy.sources[key].kind).toBe('fail-closed');
    expect(policy.managed[key]).toBe(true);
  }
}
