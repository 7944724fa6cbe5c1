import { describe, expect, expectTypeOf, it } from 'vitest';
import { policyValue, type EffectivePolicy } from './effective-policy.js';
import { checkPolicyValue, POLICY_KEY_NAMES, POLICY_KEYS } from './policy-keys.js';

describe('policy key registry', () => {
  it.each(POLICY_KEY_NAMES)('%s: default and most restrictive value both satisfy its schema', (key) => {
    const spec = POLICY_KEYS[key];
    expect(spec.schema.safeParse(spec.default).success).toBe(true);
    expect(spec.schema.safeParse(spec.mostRestrictive).success).toBe(true);
    expect(spec.description.length).toBeGreaterThan(10);
  });

  it('gives every environment variable to at most one key', () => {
    const variables = POLICY_KEY_NAMES.flatMap((key) => POLICY_KEYS[key].env ?? []);
    expect(new Set(variables).size).toBe(variables.length);
  });

  it('keeps organization-only keys out of the person’s reach', () => {
    const organizationOnly = POLICY_KEY_NAMES.filter((key) => !POLICY_KEYS[key].personMaySet);
    expect(organizationOnly).toEqual([
      'folders.allowed',
      'approvals.allowAuto',
      'sandbox.maxCommandTimeoutMs',
      'plugins.allowed',
      'models.allowedProviders',
    ]);
  });

  it('rejects values of the wrong shape with a reason', () => {
    expect(checkPolicyValue('folders.allowed', ['relative/path'])).toMatchObject({ ok: false });
    expect(checkPolicyValue('agents.maxSubagentConcurrency', 17)).toMatchObject({ ok: false });
    expect(checkPolicyValue('fs.deleteBulkThreshold', 2.5)).toMatchObject({ ok: false });
    expect(checkPolicyValue('telemetry.otlpEndpoint', 'collector')).toMatchObject({ ok: false });
    expect(checkPolicyValue('sandbox.egressHosts', ['*.example.com', 'pypi.org:443'])).toMatchObject({
      ok: true,
    });
  });

  it('types policyValue per key', () => {
    expectTypeOf(policyValue<'sandbox.network'>).returns.toEqualTypeOf<'none' | 'proxy'>();
    expectTypeOf(policyValue<'folders.allowed'>).returns.toEqualTypeOf<readonly string[] | null>();
    expectTypeOf(policyValue<'budget.maxTurns'>).returns.toEqualTypeOf<number>();
    expectTypeOf<EffectivePolicy['values']['approvals.allowAuto']>().toEqualTypeOf<boolean>();
  });
});
