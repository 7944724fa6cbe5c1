import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  formatPolicy,
  loadPolicy,
  policyValue,
  POLICY_KEY_NAMES,
  type EffectivePolicy,
} from '../src/index.js';
import {
  createPolicyFixture,
  defaultValues,
  expectEveryKeyFailedClosed,
  writeWithMode,
  type PolicyFixture,
} from './policy-fixture.js';

let fx: PolicyFixture;
beforeEach(() => {
  fx = createPolicyFixture();
});
afterEach(() => fx.cleanup());

function messages(issues: EffectivePolicy['errors']): string {
  return issues.map((issue) => issue.message).join('\n');
}

describe('without any managed policy', () => {
  it('uses the defaults, each marked as such and not managed', () => {
    const policy = loadPolicy(fx.options);
    expect(policy.values).toEqual(defaultValues());
    for (const key of POLICY_KEY_NAMES) {
      expect(policy.sources[key]).toEqual({ kind: 'default', detail: 'default' });
      expect(policy.managed[key]).toBe(false);
    }
    expect(policy.errors).toEqual([]);
    expect(policy.warnings).toEqual([]);
    expect(policy.version).toMatch(/^[0-9a-f]{12}$/);
  });

  it('treats a missing managed folder as no policy', () => {
    const policy = loadPolicy({ ...fx.options, managedDir: join(fx.root, 'nowhere') });
    expect(policy.values).toEqual(defaultValues());
    expect(policy.errors).toEqual([]);
  });
});

describe('a trusted managed file', () => {
  it('sets its keys, marks them managed and names the file as their source', () => {
    const file = fx.writeManaged({ 'sandbox.network': 'proxy', approvals: { allowAuto: false } });
    const policy = loadPolicy(fx.options);
    expect(policyValue(policy, 'sandbox.network')).toBe('proxy');
    expect(policyValue(policy, 'approvals.allowAuto')).toBe(false);
    expect(policy.sources['sandbox.network']).toEqual({ kind: 'managed', detail: file });
    expect(policy.managed['approvals.allowAuto']).toBe(true);
    expect(policy.managed['budget.maxTurns']).toBe(false);
    expect(policy.errors).toEqual([]);
  });

  it('merges managed-settings.d/*.json in name order after the main file, later files winning per key', () => {
    fx.writeManaged({ 'budget.maxTurns': 100, 'budget.maxCostUsd': 5 });
    fx.writeDropIn('20-late.json', { 'budget.maxTurns': 30, 'plugins.blocked': ['evil'] });
    const early = fx.writeDropIn('10-early.json', {
      'budget.maxTurns': 50,
      'scheduler.minIntervalSeconds': 600,
    });
    const late = join(fx.dropInDir, '20-late.json');
    fx.writeDropIn('.30-editor-temp.json', { 'budget.maxTurns': 1 });
    fx.writeDropIn('40-ignored.json.bak', '{ not json');
    const policy = loadPolicy(fx.options);
    expect(policy.values['budget.maxTurns']).toBe(30);
    expect(policy.sources['budget.maxTurns'].detail).toBe(late);
    expect(policy.values['budget.maxCostUsd']).toBe(5);
    expect(policy.values['scheduler.minIntervalSeconds']).toBe(600);
    expect(policy.sources['scheduler.minIntervalSeconds'].detail).toBe(early);
    expect(policy.values['plugins.blocked']).toEqual(['evil']);
    expect(policy.errors).toEqual([]);
  });

  it('returns a deeply frozen policy', () => {
    fx.writeManaged({ 'plugins.blocked': ['a'] });
    const policy = loadPolicy(fx.options);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.values)).toBe(true);
    expect(Object.isFrozen(policy.values['plugins.blocked'])).toBe(true);
    expect(Object.isFrozen(policy.sources['plugins.blocked'])).toBe(true);
    expect(() => (policy.values['plugins.blocked'] as string[]).push('b')).toThrow(TypeError);
  });

  it('gives the same values the same version and different values a different one', () => {
    fx.writeManaged({ 'budget.maxTurns': 100 });
    const first = loadPolicy(fx.options);
    const again = loadPolicy(fx.options);
    fx.writeManaged({ 'budget.maxTurns': 101 });
    const changed = loadPolicy(fx.options);
    expect(again.version).toBe(first.version);
    expect(changed.version).not.toBe(first.version);
  });
});

describe('an untrusted managed source fails closed: every key most restrictive, with a visible error', () => {
  it('a managed file that is a symlink', () => {
    const target = writeWithMode(join(fx.root, 'elsewhere.json'), { 'approvals.allowAuto': true });
    symlinkSync(target, join(fx.managedDir, 'managed-settings.json'));
    fx.writeSettings({ 'approvals.defaultMode': 'auto' });
    const policy = loadPolicy(fx.options);
    expectEveryKeyFailedClosed(policy);
    expect(messages(policy.errors)).toContain(
      `${join(fx.managedDir, 'managed-settings.json')} is a symbolic link`,
    );
    expect(policy.errors[0]?.code).toBe('untrusted-source');
  });

  it('a group-writable managed file', () => {
    const file = fx.writeManaged({ 'budget.maxTurns': 100 }, 0o664);
    const policy = loadPolicy(fx.options);
    expectEveryKeyFailedClosed(policy);
    expect(messages(policy.errors)).toContain(`${file} is writable by group or others (mode 0664)`);
  });

  it('a world-writable managed file', () => {
    const file = fx.writeManaged({ 'budget.maxTurns': 100 }, 0o646);
    const policy = loadPolicy(fx.options);
    expectEveryKeyFailedClosed(policy);
    expect(messages(policy.errors)).toContain(`${file} is writable by group or others (mode 0646)`);
  });

  it('a managed file not owned by root', () => {
    const file = fx.writeManaged({ 'budget.maxTurns': 100 });
    chownSync(file, 1234, 1234);
    const policy = loadPolicy(fx.options);
    expectEveryKeyFailedClosed(policy);
    expect(messages(policy.errors)).toContain(`${file} is owned by uid 1234, not by uid 0`);
  });

  it('a managed folder and file owned by someone other than the required owner', () => {
    const file = fx.writeManaged({ 'budget.maxTurns': 100 });
    chownSync(fx.managedDir, 4321, 4321);
    chownSync(file, 4321, 4321);
    expect(loadPolicy({ ...fx.options, trustedOwnerUid: 4321 }).values['budget.maxTurns']).toBe(100);
    const policy = loadPolicy(fx.options);
    expectEveryKeyFailedClosed(policy);
    expect(messages(policy.errors)).toContain(`${fx.managedDir} is owned by uid 4321, not by uid 0`);
  });

  it('a managed-settings.d folder that is a symlink', () => {
    const real = join(fx.root, 'real-d');
    mkdirSync(real, { mode: 0o755 });
    writeWithMode(join(real, '10.json'), { 'budget.maxTurns': 100 });
    symlinkSync(real, fx.dropInDir);
    const policy = loadPolicy(fx.options);
    expectEveryKeyFailedClosed(policy);
    expect(messages(policy.errors)).toContain(`${fx.dropInDir} is a symbolic link`);
  });

  it('a group-writable managed-settings.d folder', () => {
    fx.writeDropIn('10.json', { 'budget.maxTurns': 100 });
    chmodSync(fx.dropInDir, 0o775);
    const policy = loadPolicy(fx.options);
    expectEveryKeyFailedClosed(policy);
    expect(messages(policy.errors)).toContain(`${fx.dropInDir} is writable by group or others`);
  });

  it('a drop-in file not owned by root, even when the main file is fine', () => {
    fx.writeManaged({ 'sandbox.network': 'proxy' });
    const file = fx.writeDropIn('10.json', { 'budget.maxTurns': 100 });
    chownSync(file, 1234, 0);
    const policy = loadPolicy(fx.options);
    expectEveryKeyFailedClosed(policy);
    expect(messages(policy.errors)).toContain(`${file} is owned by uid 1234`);
  });

  it('a world-writable managed folder', () => {
    fx.writeManaged({ 'budget.maxTurns': 100 });
    chmodSync(fx.managedDir, 0o777);
    const policy = loadPolicy(fx.options);
    expectEveryKeyFailedClosed(policy);
    expect(messages(policy.errors)).toContain(`${fx.managedDir} is writable by group or others`);
  });

  it('a FIFO planted as a drop-in, without hanging the reader', () => {
    fx.writeDropIn('10.json', { 'budget.maxTurns': 100 });
    const fifo = join(fx.dropInDir, '20.json');
    execFileSync('mkfifo', ['-m', '0644', fifo]);
    const policy = loadPolicy(fx.options);
    expectEveryKeyFailedClosed(policy);
    expect(messages(policy.errors)).toContain(`${fifo} is not a regular file`);
  });

  it('a managed file that is malformed JSON, naming the file', () => {
    const file = fx.writeManaged('{ "budget.maxTurns": 100, ');
    const policy = loadPolicy(fx.options);
    expectEveryKeyFailedClosed(policy);
    expect(policy.errors[0]).toMatchObject({ code: 'unparseable-source', source: file });
    expect(policy.errors[0]?.message).toContain(`${file} is not valid JSON`);
  });

  it('a managed file holding JSON that is not an object', () => {
    const file = fx.writeDropIn('10.json', ['budget.maxTurns', 100]);
    const policy = loadPolicy(fx.options);
    expectEveryKeyFailedClosed(policy);
    expect(policy.errors[0]).toMatchObject({ code: 'invalid-source', source: file });
  });

  it('never falls back to the person’s settings for a failed source', () => {
    fx.writeManaged('not json');
    fx.writeSettings({ 'approvals.defaultMode': 'auto', 'budget.maxTurns': 500 });
    const policy = loadPolicy({
      ...fx.options,
      env: { STEWARD_MAX_TURNS: '400' },
      flags: { 'budget.maxTurns': 300 },
    });
    expect(policy.values['approvals.defaultMode']).toBe('ask');
    expect(policy.values['budget.maxTurns']).toBe(20);
    expect(policy.sources['budget.maxTurns'].kind).toBe('fail-closed');
  });
});

describe('a single bad key in a good managed file fails closed alone', () => {
  it('a wrong-typed value takes its most restrictive value; the other keys keep theirs', () => {
    const file = fx.writeManaged({
      'budget.maxTurns': 'many',
      'sandbox.network': 'proxy',
      'fs.deleteBulkThreshold': 0,
    });
    fx.writeSettings({ 'budget.maxTurns': 500 });
    const policy = loadPolicy(fx.options);
    expect(policy.values['budget.maxTurns']).toBe(20);
    expect(policy.sources['budget.maxTurns'].kind).toBe('fail-closed');
    expect(policy.managed['budget.maxTurns']).toBe(true);
    expect(policy.values['fs.deleteBulkThreshold']).toBe(1);
    expect(policy.values['sandbox.network']).toBe('proxy');
    expect(policy.sources['sandbox.network'].kind).toBe('managed');
    expect(policy.values['budget.maxCostUsd']).toBe(10);
    expect(policy.sources['budget.maxCostUsd'].kind).toBe('default');
    const invalid = policy.errors.filter((issue) => issue.code === 'invalid-value');
    expect(invalid.map((issue) => issue.key).sort()).toEqual(['budget.maxTurns', 'fs.deleteBulkThreshold']);
    expect(invalid[0]?.source).toBe(file);
  });

  it('an unknown key is reported by name and nothing else changes', () => {
    const file = fx.writeManaged({
      'sandbox.networks': 'proxy',
      telemetry: { captureContnet: true },
      'budget.maxTurns': 50,
    });
    const policy = loadPolicy(fx.options);
    const unknown = policy.errors.filter((issue) => issue.code === 'unknown-key');
    expect(unknown.map((issue) => issue.key)).toEqual(['sandbox.networks', 'telemetry.captureContnet']);
    expect(unknown[0]?.message).toBe(`${file}: unknown policy key "sandbox.networks"`);
    expect(policy.values['budget.maxTurns']).toBe(50);
    expect(policy.values['sandbox.network']).toBe('none');
    expect(policy.sources['sandbox.network'].kind).toBe('default');
  });

  it('a later drop-in with a valid value for the key replaces an earlier invalid one', () => {
    fx.writeManaged({ 'budget.maxTurns': -5 });
    fx.writeDropIn('10.json', { 'budget.maxTurns': 40 });
    const policy = loadPolicy(fx.options);
    expect(policy.values['budget.maxTurns']).toBe(40);
    expect(policy.errors.map((issue) => issue.code)).toEqual(['invalid-value']);
  });
});

describe('the person cannot override a managed key', () => {
  it.each([
    ['settings.json', { settings: { 'telemetry.otlpEndpoint': 'http://mine:4318' } }, 'settings.json sets'],
    [
      'an environment variable',
      { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://mine:4318' } },
      'environment variable OTEL_EXPORTER_OTLP_ENDPOINT sets',
    ],
    ['a flag', { flags: { 'telemetry.otlpEndpoint': 'http://mine:4318' } }, 'a command-line flag sets'],
  ])('%s setting the telemetry endpoint loses, with a warning naming it', (_name, layer, expected) => {
    fx.writeManaged({ 'telemetry.otlpEndpoint': 'https://collector.corp.example:4318' });
    if ('settings' in layer) fx.writeSettings(layer.settings);
    const policy = loadPolicy({
      ...fx.options,
      env: 'env' in layer ? layer.env : {},
      flags: 'flags' in layer ? layer.flags : {},
    });
    expect(policy.values['telemetry.otlpEndpoint']).toBe('https://collector.corp.example:4318');
    expect(policy.sources['telemetry.otlpEndpoint'].kind).toBe('managed');
    expect(policy.warnings).toHaveLength(1);
    expect(policy.warnings[0]).toMatchObject({
      code: 'overridden-by-organization',
      key: 'telemetry.otlpEndpoint',
    });
    expect(policy.warnings[0]?.message).toBe(
      `${expected} telemetry.otlpEndpoint but it is set by your organization`,
    );
  });

  it('auto-approve and local MCP servers stay as the organization set them', () => {
    fx.writeManaged({
      approvals: { allowAuto: false, defaultMode: 'ask' },
      plugins: { allowLocalMcpServers: false },
    });
    fx.writeSettings({
      'approvals.defaultMode': 'auto',
      'plugins.allowLocalMcpServers': true,
      'approvals.allowAuto': true,
    });
    const policy = loadPolicy({ ...fx.options, env: { STEWARD_APPROVAL_MODE: 'auto' } });
    expect(policy.values['approvals.defaultMode']).toBe('ask');
    expect(policy.values['approvals.allowAuto']).toBe(false);
    expect(policy.values['plugins.allowLocalMcpServers']).toBe(false);
    expect(messages(policy.warnings).split('\n').sort()).toEqual([
      'environment variable STEWARD_APPROVAL_MODE sets approvals.defaultMode but it is set by your organization',
      'settings.json sets approvals.allowAuto but it is set by your organization',
      'settings.json sets approvals.defaultMode but it is set by your organization',
      'settings.json sets plugins.allowLocalMcpServers but it is set by your organization',
    ]);
  });
});

describe('keys the organization did not set', () => {
  it('take flag over env over settings over default, each with its source', () => {
    fx.writeSettings({
      budget: { maxTurns: 150, maxCostUsd: 3 },
      'sandbox.network': 'proxy',
      'agents.maxSubagentConcurrency': 2,
    });
    const policy = loadPolicy({
      ...fx.options,
      env: { STEWARD_MAX_TURNS: '120', STEWARD_MAX_COST_USD: '4.5' },
      flags: { 'budget.maxTurns': '90' },
    });
    expect(policy.values['budget.maxTurns']).toBe(90);
    expect(policy.sources['budget.maxTurns']).toEqual({ kind: 'flag', detail: 'flag' });
    expect(policy.values['budget.maxCostUsd']).toBe(4.5);
    expect(policy.sources['budget.maxCostUsd']).toEqual({ kind: 'env', detail: 'STEWARD_MAX_COST_USD' });
    expect(policy.values['sandbox.network']).toBe('proxy');
    expect(policy.sources['sandbox.network']).toEqual({ kind: 'settings', detail: fx.settingsFile });
    expect(policy.values['scheduler.minIntervalSeconds']).toBe(60);
    expect(policy.sources['scheduler.minIntervalSeconds']).toEqual({ kind: 'default', detail: 'default' });
    expect(policy.managed['budget.maxTurns']).toBe(false);
    expect(policy.errors).toEqual([]);
    expect(policy.warnings).toEqual([]);
  });

  it('ignores a person’s attempt at an organization-only key, with a warning', () => {
    fx.writeSettings({ 'folders.allowed': ['/'], 'models.allowedProviders': ['anything'] });
    const policy = loadPolicy({ ...fx.options, flags: { 'sandbox.maxCommandTimeoutMs': 3_600_000 } });
    expect(policy.values['folders.allowed']).toBeNull();
    expect(policy.sources['folders.allowed'].kind).toBe('default');
    expect(policy.values['sandbox.maxCommandTimeoutMs']).toBe(600_000);
    expect(policy.warnings.map((issue) => issue.code)).toEqual([
      'not-person-settable',
      'not-person-settable',
      'not-person-settable',
    ]);
    expect(messages(policy.warnings)).toContain(
      'settings.json sets folders.allowed, which only your organization can set; ignored',
    );
  });

  it('skips an invalid value from the person to the next source, with an error', () => {
    fx.writeSettings({ 'budget.maxTurns': 75 });
    const policy = loadPolicy({ ...fx.options, env: { STEWARD_MAX_TURNS: 'lots' } });
    expect(policy.values['budget.maxTurns']).toBe(75);
    expect(policy.errors[0]).toMatchObject({
      code: 'invalid-value',
      key: 'budget.maxTurns',
      source: 'STEWARD_MAX_TURNS',
    });
  });

  it('reports a malformed settings.json and falls back to defaults', () => {
    fx.writeSettings('{ "budget.maxTurns": ');
    const policy = loadPolicy(fx.options);
    expect(policy.values).toEqual(defaultValues());
    expect(policy.errors[0]).toMatchObject({ code: 'unparseable-source', source: fx.settingsFile });
  });

  it('reports a FIFO at settings.json instead of hanging on it', () => {
    execFileSync('mkfifo', [fx.settingsFile]);
    const policy = loadPolicy(fx.options);
    expect(policy.values).toEqual(defaultValues());
    expect(policy.errors[0]).toMatchObject({ code: 'unreadable-source', source: fx.settingsFile });
  });

  it('warns about unknown keys in settings.json', () => {
    fx.writeSettings({ theme: 'dark' });
    const policy = loadPolicy(fx.options);
    expect(policy.warnings[0]).toMatchObject({ code: 'unknown-key', key: 'theme' });
  });
});

describe('rules between keys', () => {
  it('turns approval mode "auto" into "ask" when the organization forbids auto', () => {
    fx.writeManaged({ 'approvals.allowAuto': false });
    const policy = loadPolicy({ ...fx.options, flags: { 'approvals.defaultMode': 'auto' } });
    expect(policy.values['approvals.defaultMode']).toBe('ask');
    expect(
      policy.warnings.some(
        (issue) => issue.code === 'limited-by-policy' && issue.key === 'approvals.defaultMode',
      ),
    ).toBe(true);
  });

  it('caps the command timeout at the organization’s maximum', () => {
    fx.writeManaged({ 'sandbox.maxCommandTimeoutMs': 30_000 });
    fx.writeSettings({ 'sandbox.commandTimeoutMs': 300_000 });
    const policy = loadPolicy(fx.options);
    expect(policy.values['sandbox.commandTimeoutMs']).toBe(30_000);
    expect(policy.sources['sandbox.commandTimeoutMs'].kind).toBe('settings');
  });
});

describe('where managed policy is read from', () => {
  it('reports that macOS and Windows are not supported yet instead of silently applying nothing', () => {
    for (const platform of ['darwin', 'win32'] as const) {
      const policy = loadPolicy({ settingsFile: fx.settingsFile, env: {}, platform });
      expect(policy.errors).toEqual([
        expect.objectContaining({
          code: 'unsupported-platform',
          message: expect.stringContaining(`not supported yet on ${platform}`),
        }),
      ]);
    }
  });

  it('reads STEWARD_MANAGED_SETTINGS_DIR in place of /etc/steward', () => {
    fx.writeManaged({ 'sandbox.network': 'proxy' });
    const policy = loadPolicy({
      settingsFile: fx.settingsFile,
      env: { STEWARD_MANAGED_SETTINGS_DIR: fx.managedDir },
      platform: 'linux',
    });
    expect(policy.values['sandbox.network']).toBe('proxy');
    expect(policy.sources['sandbox.network'].kind).toBe('managed');
  });
});

describe('formatPolicy', () => {
  it('prints each key with value and source, marks managed keys, then errors and warnings', () => {
    fx.writeManaged({ 'sandbox.network': 'proxy', 'budget.maxTurns': 'x' });
    fx.writeSettings({ 'sandbox.network': 'none' });
    const policy = loadPolicy(fx.options);
    const text = formatPolicy(policy);
    const lines = text.split('\n');
    expect(lines[0]).toBe(`Policy version ${policy.version} (loaded ${policy.loadedAt})`);
    expect(lines.find((line) => line.startsWith('sandbox.network '))).toMatch(
      /^sandbox\.network\s+"proxy"\s+managed: .*managed-settings\.json\s+set by your organization$/,
    );
    expect(lines.find((line) => line.startsWith('budget.maxTurns '))).toMatch(
      /20\s+fail-closed: .*set by your organization \(failed closed\)$/,
    );
    expect(lines.find((line) => line.startsWith('budget.maxCostUsd '))).toMatch(
      /^budget\.maxCostUsd\s+10\s+default: default$/,
    );
    expect(text).toContain('\nErrors:\n  - ');
    expect(text).toContain(
      '\nWarnings:\n  - settings.json sets sandbox.network but it is set by your organization',
    );
  });
});

it('reads a settings file written as nested objects the same as dotted keys', () => {
  writeFileSync(
    fx.settingsFile,
    JSON.stringify({ sandbox: { network: 'proxy', egressHosts: ['pypi.org'] } }),
  );
  const policy = loadPolicy(fx.options);
  expect(policy.values['sandbox.egressHosts']).toEqual(['pypi.org']);
  expect(policy.values['sandbox.network']).toBe('proxy');
});
