import { formatPolicy, loadPolicy, loadRuntimeConfig } from '@steward/config';
import { EXIT, type ExitCode } from '../cli/cli-error.js';
import { print } from './output.js';

export function policyShowCommand(options: { readonly json: boolean }): ExitCode {
  const config = loadRuntimeConfig();
  const policy = loadPolicy({
    settingsFile: config.paths.settingsFile,
    ...(config.managedSettingsDir === undefined ? {} : { managedDir: config.managedSettingsDir }),
  });
  print(options.json ? JSON.stringify(policy, null, 2) : formatPolicy(policy));
  return EXIT.ok;
}
