import { createHash } from 'node:crypto';
import { POLICY_KEY_NAMES, type PolicyKey, type PolicyValue, type PolicyValues } from './policy-keys.js';

export type PolicySourceKind = 'managed' | 'flag' | 'env' | 'settings' | 'default' | 'fail-closed';

export interface PolicySource {
  readonly kind: PolicySourceKind;
  /** The file, variable or reason behind the value, for people reading `steward policy show`. */
  readonly detail: string;
}

export type PolicyIssueCode =
  | 'untrusted-source'
  | 'unparseable-source'
  | 'invalid-source'
  | 'unreadable-source'
  | 'unsupported-platform'
  | 'ignored-override-location'
  | 'invalid-value'
  | 'unknown-key'
  | 'overridden-by-organization'
  | 'not-person-settable'
  | 'limited-by-policy';

export interface PolicyIssue {
  readonly code: PolicyIssueCode;
  readonly message: string;
  readonly key?: string;
  /** The file or environment variable the issue comes from. */
  readonly source?: string;
}

export interface EffectivePolicy {
  /** Changes exactly when a value changes; services report it in health checks and events. */
  readonly version: string;
  readonly values: PolicyValues;
  readonly sources: Readonly<Record<PolicyKey, PolicySource>>;
  /** True where the person cannot change the value: set by the organization or failed closed. */
  readonly managed: Readonly<Record<PolicyKey, boolean>>;
  readonly errors: readonly PolicyIssue[];
  readonly warnings: readonly PolicyIssue[];
  readonly loadedAt: string;
}

export function policyValue<K extends PolicyKey>(policy: EffectivePolicy, key: K): PolicyValue<K> {
  return policy.values[key];
}

/** Sorted keys, so the version depends on values alone and not on the order they were resolved in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function policyVersion(values: PolicyValues): string {
  return createHash('sha256').update(canonicalJson(values)).digest('hex').slice(0, 12);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export interface PolicyParts {
  readonly values: Record<PolicyKey, unknown>;
  readonly sources: Record<PolicyKey, PolicySource>;
  readonly errors: readonly PolicyIssue[];
  readonly warnings: readonly PolicyIssue[];
}

export function buildEffectivePolicy(parts: PolicyParts, loadedAt: Date): EffectivePolicy {
  // Values were validated key by key against their schemas before they got here.
  const values = structuredClone(parts.values) as PolicyValues;
  const managed = {} as Record<PolicyKey, boolean>;
  for (const key of POLICY_KEY_NAMES) {
    const kind = parts.sources[key].kind;
    managed[key] = kind === 'managed' || kind === 'fail-closed';
  }
  return deepFreeze({
    version: policyVersion(values),
    values,
    sources: { ...parts.sources },
    managed,
    errors: [...parts.errors],
    warnings: [...parts.warnings],
    loadedAt: loadedAt.toISOString(),
  });
}

/** Everything a person could see change, so a store refreshes errors even when values stay put. */
export function policyFingerprint(policy: EffectivePolicy): string {
  return createHash('sha256')
    .update(canonicalJson({ ...policy, loadedAt: '' }))
    .digest('hex');
}
