export {
  LOG_LEVELS,
  STEWARD_VERSION,
  loadRuntimeConfig,
  resolveStewardPaths,
  serviceFromEnv,
  type Env,
  type LogLevel,
  type RuntimeConfig,
  type StewardPaths,
} from './runtime.config.js';
export { readServiceCredentials, type ServiceCredentials } from './credentials.config.js';
export {
  POLICY_KEYS,
  POLICY_KEY_NAMES,
  isPolicyKey,
  type PolicyKey,
  type PolicyKeySpec,
  type PolicyValue,
  type PolicyValues,
} from './policy/policy-keys.js';
export {
  policyValue,
  type EffectivePolicy,
  type PolicyIssue,
  type PolicyIssueCode,
  type PolicySource,
  type PolicySourceKind,
} from './policy/effective-policy.js';
export { folderAllowedByPolicy, isPathWithin } from './policy/folder-policy.js';
export { MANAGED_DROP_IN_DIR_NAME, MANAGED_FILE_NAME, SYSTEM_MANAGED_DIR } from './policy/managed-source.js';
export { loadPolicy, type LoadPolicyOptions } from './policy/policy-loader.js';
export { PolicyStore, type PolicyChangeListener, type PolicyStoreOptions } from './policy/policy-store.js';
export { formatPolicy } from './policy/policy-format.js';
export { readUiToken } from './ui-token.config.js';
export {
  DEFAULT_APPROVAL_TIMEOUT_MS,
  DEFAULT_MODEL,
  ModelKeyStore,
  loadModelSettings,
  type ModelKeySource,
  type ModelSettings,
} from './model.config.js';
export {
  checkPersonSettings,
  readPersonSettings,
  updatePersonSettings,
  writePersonSettings,
  type PersonSettingsUpdate,
  type SettingRefusal,
} from './policy/settings-writer.js';
