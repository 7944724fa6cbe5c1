import { EXIT, type ExitCode } from '../cli/cli-error.js';
import { systemProbes } from '../doctor/probes.js';
import { checkRequirements, formatDoctorReport } from '../doctor/requirements.js';
import { print } from './output.js';

export async function doctorCommand(options: { readonly json: boolean }): Promise<ExitCode> {
  const report = await checkRequirements(systemProbes);
  print(options.json ? JSON.stringify(report, null, 2) : formatDoctorReport(report));
  return report.ok ? EXIT.ok : EXIT.failure;
}
