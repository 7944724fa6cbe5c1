import type { Env } from '../runtime.config.js';
import {
  buildEffectivePolicy,
  type EffectivePolicy,
  type PolicyIssue,
  type PolicySource,
} from './effective-policy.js';
import { readManagedLayer, resolveManagedLocation, type ManagedLayer } from './managed-source.js';
import { readPersonLayers, textCandidates, type PersonLayers } from './person-source.js';
import { checkPolicyValue, POLICY_KEY_NAMES, POLICY_KEYS, type PolicyKey } from './policy-keys.js';

export interface LoadPolicyOptions {
  readonly env?: Env;
  /** Command-line overrides keyed by dotted policy key. */
  readonly flags?: Record<string, unknown>;
  /** Replaces the platform's managed location (and `STEWARD_MANAGED_SETTINGS_DIR`). */
  readonly managedDir?: string;
  readonly settingsFile: string;
  readonly platform?: NodeJS.Platform;
  /** Who must own managed files and folders for them to be trusted; root unless a test says otherwise. */
  readonly trustedOwnerUid?: number;
}

interface Resolution {
  value: unknown;
  source: PolicySource;
}

class PolicyResolver {
  readonly values = {} as Record<PolicyKey, unknown>;
  readonly sources = {} as Record<PolicyKey, PolicySource>;
  readonly errors: PolicyIssue[] = [];
  readonly warnings: PolicyIssue[] = [];

  constructor(
    private readonly managed: ManagedLayer,
    private readonly person: PersonLayers,
  ) {
    this.errors.push(...managed.errors, ...person.errors);
    this.warnings.push(...person.warnings);
  }

  resolve(key: PolicyKey): void {
    const resolution = this.fromManaged(key) ?? this.fromPerson(key) ?? this.fromDefault(key);
    this.values[key] = resolution.value;
    this.sources[key] = resolution.source;
  }

  private fromManaged(key: PolicyKey): Resolution | undefined {
    const spec = POLICY_KEYS[key];
    let resolution: Resolution | undefined;
    const entry = this.managed.entries.get(key);
    if (this.managed.failClosedReason !== undefined) {
      resolution = {
        value: spec.mostRestrictive,
        source: { kind: 'fail-closed', detail: this.managed.failClosedReason },
      };
    } else if (entry?.ok === true) {
      resolution = { value: entry.value, source: { kind: 'managed', detail: entry.file } };
    } else if (entry?.ok === false) {
      resolution = { value: spec.mostRestrictive, source: { kind: 'fail-closed', detail: entry.reason } };
    }
    if (resolution !== undefined) this.warnOverrides(key);
    return resolution;
  }

  private warnOverrides(key: PolicyKey): void {
    for (const layer of this.person.layers) {
      const entry = layer.entries.get(key);
      if (entry === undefined) continue;
      this.warnings.push({
        code: 'overridden-by-organization',
        key,
        source: entry.detail,
        message: `${entry.label} sets ${key} but it is set by your organization`,
      });
    }
  }

  private fromPerson(key: PolicyKey): Resolution | undefined {
    const spec = POLICY_KEYS[key];
    for (const layer of this.person.layers) {
      const entry = layer.entries.get(key);
      if (entry === undefined) continue;
      if (!spec.personMaySet) {
        this.warnings.push({
          code: 'not-person-settable',
          key,
          source: entry.detail,
          message: `${entry.label} sets ${key}, which only your organization can set; ignored`,
        });
        continue;
      }
      const candidates = layer.fromText ? textCandidates(entry.raw) : [entry.raw];
      let firstReason = '';
      for (const candidate of candidates) {
        const check = checkPolicyValue(key, candidate);
        if (check.ok) return { value: check.value, source: { kind: layer.kind, detail: entry.detail } };
        firstReason ||= check.reason;
      }
      // A value the person got wrong is theirs to fix; the next source down still applies.
      this.errors.push({
        code: 'invalid-value',
        key,
        source: entry.detail,
        message: `${entry.label} sets ${key} to ${JSON.stringify(entry.raw)}, which is invalid (${firstReason}); ignored`,
      });
    }
    return undefined;
  }

  private fromDefault(key: PolicyKey): Resolution {
    return { value: POLICY_KEYS[key].default, source: { kind: 'default', detail: 'default' } };
  }

  /** Rules between keys, applied after each key is known, whoever set it. */
  applyLimits(): void {
    if (this.values['approvals.defaultMode'] === 'auto' && this.values['approvals.allowAuto'] === false) {
      this.limit(
        'approvals.defaultMode',
        'ask',
        'approvals.allowAuto is false, so approval mode "auto" is not allowed',
      );
    }
    const timeout = this.values['sandbox.commandTimeoutMs'];
    const max = this.values['sandbox.maxCommandTimeoutMs'];
    if (typeof timeout === 'number' && typeof max === 'number' && timeout > max) {
      this.limit(
        'sandbox.commandTimeoutMs',
        max,
        `sandbox.commandTimeoutMs ${timeout} exceeds sandbox.maxCommandTimeoutMs ${max}`,
      );
    }
  }

  private limit(key: PolicyKey, value: unknown, reason: string): void {
    const source = this.sources[key];
    this.values[key] = value;
    this.sources[key] = { kind: source.kind, detail: `${source.detail}; limited: ${reason}` };
    this.warnings.push({
      code: 'limited-by-policy',
      key,
      message: `${reason}; using ${JSON.stringify(value)}`,
    });
  }
}

/**
 * Managed policy > flags > env > the person's settings.json > defaults, each value with its source.
 * Synchronous and side-effect free apart from reading files.
 */
export function loadPolicy(options: LoadPolicyOptions): EffectivePolicy {
  const env = options.env ?? process.env;
  const location = resolveManagedLocation({
    env,
    managedDir: options.managedDir,
    platform: options.platform ?? process.platform,
    trustedOwnerUid: options.trustedOwnerUid ?? 0,
  });
  const resolver = new PolicyResolver(
    readManagedLayer(location),
    readPersonLayers({ flags: options.flags ?? {}, env, settingsFile: options.settingsFile }),
  );
  for (const key of POLICY_KEY_NAMES) resolver.resolve(key);
  resolver.applyLimits();
  return buildEffectivePolicy(resolver, new Date());
}
