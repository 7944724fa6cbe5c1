import { isStewardError } from '@steward/contracts';
import { loadRuntimeConfig } from '@steward/config';
import { EXIT, type ExitCode } from '../cli/cli-error.js';
import { systemProbes } from '../doctor/probes.js';
import { checkRequirements, DEFAULT_DOCKER_SOCKET, formatDoctorReport } from '../doctor/requirements.js';
import { print, say } from './output.js';

/** The doctor is what people run when something is wrong, so a bad variable is reported, not fatal. */
function dockerSocket(): { socket: string; configError?: string } {
  try {
    return { socket: loadRuntimeConfig().dockerSocket };
  } catch (error) {
    if (!isStewardError(error)) throw error;
    return { socket: DEFAULT_DOCKER_SOCKET, configError: error.message };
  }
}

export async function doctorCommand(options: { readonly json: boolean }): Promise<ExitCode> {
  const { socket, configError } = dockerSocket();
  const report = await checkRequirements(systemProbes, socket);
  if (configError !== undefined)
    say(`Configuration problem (steward up will refuse to start): ${configError}`);
  print(options.json ? JSON.stringify(report, null, 2) : formatDoctorReport(report));
  return report.ok && configError === undefined ? EXIT.ok : EXIT.failure;
}
