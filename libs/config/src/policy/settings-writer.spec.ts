import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PERSON_SETTING_KEYS, StewardError } from '@steward/contracts';
import type { EffectivePolicy } from './effective-policy.js';
import { loadPolicy } from './policy-loader.js';
import { isPolicyKey, POLICY_KEYS } from './policy-keys.js';
import {
  checkPersonSettings,
  readPersonSettings,
  updatePersonSettings,
  writePersonSettings,
} from './settings-writer.js';

const EDITABLE = [
  'approvals.defaultMode',
  'budget.maxTurns',
  'budget.maxCostUsd',
  'sandbox.commandTimeoutMs',
];

describe("writing the person's settings.json", () => {
  let root: string;
  let home: string;
  let managedDir: string;
  let file: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'steward-settings-writer-'));
    home = join(root, 'home');
    managedDir = join(root, 'managed');
    mkdirSync(home);
    mkdirSync(managedDir, { mode: 0o755 });
    chmodSync(managedDir, 0o755);
    file = join(home, 'settings.json');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const policy = (): EffectivePolicy =>
    loadPolicy({
      settingsFile: file,
      managedDir,
      env: {},
      platform: 'linux',
      trustedOwnerUid: process.getuid?.() ?? 0,
    });
  const manage = (content: Record<string, unknown>): void => {
    const path = join(managedDir, 'managed-settings.json');
    writeFileSync(path, JSON.stringify(content));
    chmodSync(path, 0o644);
  };
  const readJson = (): unknown => JSON.parse(readFileSync(file, 'utf8'));
  const refusal = (run: () => unknown): StewardError => {
    try {
      run();
    } catch (error) {
      if (error instanceof StewardError) return error;
      throw error;
    }
    throw new Error('expected a refusal');
  };

  it('creates settings.json readable by its owner only, and the loader then reads the new value', () => {
    updatePersonSettings({ file, policy: policy(), editable: EDITABLE, values: { 'budget.maxTurns': 12 } });
    expect(readJson()).toEqual({ 'budget.maxTurns': 12 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const after = policy();
    expect(after.values['budget.maxTurns']).toBe(12);
    expect(after.sources['budget.maxTurns']).toEqual({ kind: 'settings', detail: file });
  });

  it('keeps keys it does not know and the nested spelling the person chose', () => {
    writeFileSync(
      file,
      JSON.stringify({ theme: 'dark', budget: { maxTurns: 5, maxCostUsd: 2 }, 'sandbox.network': 'none' }),
    );
    writePersonSettings(
      file,
      new Map<string, unknown>([
        ['budget.maxTurns', 9],
        ['approvals.defaultMode', 'auto'],
      ]),
    );
    expect(readJson()).toEqual({
      theme: 'dark',
      budget: { maxTurns: 9, maxCostUsd: 2 },
      'sandbox.network': 'none',
      'approvals.defaultMode': 'auto',
    });
  });

  it('null removes every spelling of a key and prunes the objects it leaves empty', () => {
    writeFileSync(file, JSON.stringify({ budget: { maxTurns: 5 }, 'budget.maxTurns': 6, other: 1 }));
    writePersonSettings(file, new Map([['budget.maxTurns', null]]));
    expect(readJson()).toEqual({ other: 1 });
    expect(readPersonSettings(file).has('budget.maxTurns')).toBe(false);
  });

  it('a key spelled twice ends with one value, where the loader read the winning one', () => {
    writeFileSync(file, JSON.stringify({ 'budget.maxTurns': 5, budget: { maxTurns: 6 } }));
    writePersonSettings(file, new Map([['budget.maxTurns', 7]]));
    expect(readJson()).toEqual({ budget: { maxTurns: 7 } });
  });

  it('replaces the file whole and leaves no temporary file behind', () => {
    writeFileSync(file, '{"budget.maxTurns": 5}');
    const before = statSync(file).ino;
    writePersonSettings(file, new Map([['budget.maxTurns', 8]]));
    expect(statSync(file).ino).not.toBe(before);
    expect(readdirSync(home)).toEqual(['settings.json']);
  });

  it('writes through a symlinked settings.json, where the loader reads it', () => {
    const real = join(root, 'dotfiles', 'steward.json');
    mkdirSync(join(root, 'dotfiles'));
    writeFileSync(real, '{"keep": true}');
    symlinkSync(real, file);
    writePersonSettings(file, new Map([['budget.maxTurns', 4]]));
    expect(JSON.parse(readFileSync(real, 'utf8'))).toEqual({ keep: true, 'budget.maxTurns': 4 });
    expect(policy().values['budget.maxTurns']).toBe(4);
  });

  it('refuses to overwrite a settings.json that is not valid JSON, and leaves it untouched', () => {
    writeFileSync(file, '{"budget.maxTurns": 5, oops');
    const error = refusal(() => writePersonSettings(file, new Map([['budget.maxTurns', 8]])));
    expect(error.code).toBe('CONFLICT');
    expect(readFileSync(file, 'utf8')).toBe('{"budget.maxTurns": 5, oops');
  });

  it('refuses a settings.json that is a folder', () => {
    mkdirSync(file);
    expect(refusal(() => writePersonSettings(file, new Map([['budget.maxTurns', 8]]))).code).toBe('CONFLICT');
  });

  it('refuses a key the organization set, names it, and writes nothing', () => {
    manage({ 'budget.maxTurns': 3 });
    const error = refusal(() =>
      updatePersonSettings({
        file,
        policy: policy(),
        editable: EDITABLE,
        values: { 'budget.maxTurns': 50, 'budget.maxCostUsd': 4 },
      }),
    );
    expect(error.code).toBe('DENIED_BY_POLICY');
    expect(error.details).toEqual({
      fields: {
        'budget.maxTurns': {
          code: 'DENIED_BY_POLICY',
          message: 'budget.maxTurns is set by your organization',
        },
      },
    });
    expect(() => statSync(file)).toThrow();
  });

  it('treats a key of an untrusted managed source as locked too', () => {
    manage({ 'budget.maxTurns': 3 });
    chmodSync(join(managedDir, 'managed-settings.json'), 0o666);
    const error = refusal(() =>
      checkPersonSettings({ policy: policy(), editable: EDITABLE, values: { 'budget.maxTurns': 50 } }),
    );
    expect(error.code).toBe('DENIED_BY_POLICY');
  });

  it('refuses values outside the key’s schema with the reason, per key', () => {
    const error = refusal(() =>
      checkPersonSettings({
        policy: policy(),
        editable: EDITABLE,
        values: { 'budget.maxTurns': 2.5, 'budget.maxCostUsd': -1, 'approvals.defaultMode': 'sometimes' },
      }),
    );
    expect(error.code).toBe('INVALID_INPUT');
    const fields = (error.details as { fields: Record<string, { code: string; message: string }> }).fields;
    expect(Object.keys(fields).sort()).toEqual([
      'approvals.defaultMode',
      'budget.maxCostUsd',
      'budget.maxTurns',
    ]);
    for (const refusalOfKey of Object.values(fields)) {
      expect(refusalOfKey.code).toBe('INVALID_INPUT');
      expect(refusalOfKey.message.length).toBeGreaterThan(0);
    }
  });

  it('refuses keys outside the editable list, organization-only keys and unknown keys alike', () => {
    const error = refusal(() =>
      checkPersonSettings({
        policy: policy(),
        editable: EDITABLE,
        values: { 'approvals.allowAuto': true, 'telemetry.captureContent': true, 'no.such': 1 },
      }),
    );
    expect(error.code).toBe('INVALID_INPUT');
    expect(Object.keys((error.details as { fields: object }).fields).sort()).toEqual([
      'approvals.allowAuto',
      'no.such',
      'telemetry.captureContent',
    ]);
  });

  it('refuses what another key forbids instead of letting the loader limit it silently', () => {
    manage({ 'approvals.allowAuto': false, 'sandbox.maxCommandTimeoutMs': 60_000 });
    const error = refusal(() =>
      checkPersonSettings({
        policy: policy(),
        editable: EDITABLE,
        values: { 'approvals.defaultMode': 'auto', 'sandbox.commandTimeoutMs': 90_000 },
      }),
    );
    expect(error.code).toBe('DENIED_BY_POLICY');
    const fields = (error.details as { fields: Record<string, { code: string; message: string }> }).fields;
    expect(fields['approvals.defaultMode']?.code).toBe('DENIED_BY_POLICY');
    expect(fields['sandbox.commandTimeoutMs']?.message).toBe(
      'must be at most 60000 (sandbox.maxCommandTimeoutMs)',
    );
  });

  it('lets the person clear a value, even of a key the organization now holds', () => {
    writeFileSync(file, JSON.stringify({ 'budget.maxTurns': 40 }));
    manage({ 'budget.maxTurns': 3 });
    updatePersonSettings({ file, policy: policy(), editable: EDITABLE, values: { 'budget.maxTurns': null } });
    expect(readJson()).toEqual({});
  });
});

describe('the settings a person may change from the page', () => {
  it('are policy keys a person may set anyway, and exclude those that would send data out or weaken a guard', () => {
    for (const key of PERSON_SETTING_KEYS) {
      expect(isPolicyKey(key)).toBe(true);
      if (isPolicyKey(key)) expect(POLICY_KEYS[key].personMaySet).toBe(true);
    }
    for (const key of [
      'telemetry.captureContent',
      'telemetry.otlpEndpoint',
      'fs.allowProtectedWrites',
      'sandbox.network',
      'sandbox.egressHosts',
    ]) {
      expect(PERSON_SETTING_KEYS as readonly string[]).not.toContain(key);
    }
  });
});
