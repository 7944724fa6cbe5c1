import { Inject, Injectable, Logger } from '@nestjs/common';
import { PERSON_SETTING_KEYS, StewardError, type SettingsView, type SettingView } from '@steward/contracts';
import {
  checkPersonSettings,
  POLICY_KEYS,
  PolicyStore,
  readPersonSettings,
  writePersonSettings,
  type ModelSettings,
  type PolicyIssue,
  type PolicyKey,
  type RuntimeConfig,
} from '@steward/config';
import { RUNTIME_CONFIG } from '@steward/runtime';
import { MODEL_SETTINGS } from '../tasks/tokens.js';

const ANTHROPIC_API_URL = 'https://api.anthropic.com';
// Compiles only while every key the page may change is a policy key.
const EDITABLE: readonly PolicyKey[] = PERSON_SETTING_KEYS;

/**
 * The person's layer of policy, as the page shows and changes it. The orchestrator writes it
 * because it is the service whose behaviour these settings change; every service's policy store
 * watches settings.json and picks the new file up whole.
 */
@Injectable()
export class SettingsService {
  private readonly log = new Logger('settings');

  constructor(
    @Inject(PolicyStore) private readonly policy: PolicyStore,
    @Inject(RUNTIME_CONFIG) private readonly config: RuntimeConfig,
    @Inject(MODEL_SETTINGS) private readonly models: ModelSettings,
  ) {}

  private get file(): string {
    return this.config.paths.settingsFile;
  }

  view(): SettingsView {
    const policy = this.policy.current;
    const saved = readPersonSettings(this.file);
    const settings = EDITABLE.map((key): SettingView => {
      const spec = POLICY_KEYS[key];
      return {
        key: key as SettingView['key'],
        value: policy.values[key],
        source: policy.sources[key],
        locked: policy.managed[key],
        ...(saved.has(key) ? { saved: saved.get(key) } : {}),
        default: spec.default,
        description: spec.description,
        ...(spec.env === undefined ? {} : { env: spec.env }),
      };
    });
    const relevant = (issue: PolicyIssue): boolean =>
      issue.source === this.file ||
      (issue.key !== undefined && (EDITABLE as readonly string[]).includes(issue.key));
    const problems = [
      ...new Set([...policy.errors, ...policy.warnings].filter(relevant).map((i) => i.message)),
    ];
    return {
      policyVersion: policy.version,
      settingsFile: this.file,
      settings,
      providers: {
        anthropic: {
          baseUrl: this.models.anthropicBaseUrl ?? ANTHROPIC_API_URL,
          variable: 'ANTHROPIC_BASE_URL',
          fromEnv: this.models.anthropicBaseUrl !== undefined,
        },
        openai: {
          baseUrl: this.models.openaiBaseUrl ?? null,
          variable: 'STEWARD_OPENAI_BASE_URL',
          fromEnv: this.models.openaiBaseUrl !== undefined,
        },
      },
      problems,
    };
  }

  /** All or nothing: validated, written atomically, then read back as the policy now in force. */
  async update(values: Readonly<Record<string, unknown>>): Promise<SettingsView> {
    const changes = checkPersonSettings({ policy: this.policy.current, editable: EDITABLE, values });
    this.checkModelProvider(changes.get('models.defaultModel'));
    writePersonSettings(this.file, changes);
    const names = [...changes.keys()].join(', ');
    this.log.log(`settings.json changed from the page: ${names}`);
    await this.policy.reload();
    return this.view();
  }

  /** A default model whose provider is not configured here would fail every new task. */
  private checkModelProvider(model: unknown): void {
    if (typeof model !== 'string') return;
    const at = model.indexOf(':');
    const provider = at <= 0 ? 'anthropic' : model.slice(0, at);
    const available = ['anthropic', ...(this.models.openaiBaseUrl === undefined ? [] : ['openai'])];
    if (available.includes(provider)) return;
    const message = `there is no model provider "${provider}" here; the providers are: ${available.join(', ')}`;
    throw new StewardError('INVALID_INPUT', `models.defaultModel: ${message}`, {
      details: { fields: { 'models.defaultModel': { code: 'INVALID_INPUT', message } } },
    });
  }
}
