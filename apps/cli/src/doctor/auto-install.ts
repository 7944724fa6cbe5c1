import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CliError } from '../cli/cli-error.js';
import { aptPackagesFor, checkRequirements, formatDoctorReport, type DoctorReport } from './requirements.js';
import type { Probes } from './probes.js';

/** ID and ID_LIKE from /etc/os-release name Debian or Ubuntu (or a derivative of them). */
export function isDebianLike(osRelease: string): boolean {
  const ids = osRelease
    .split('\n')
    .filter((line) => line.startsWith('ID=') || line.startsWith('ID_LIKE='))
    .flatMap((line) =>
      line
        .slice(line.indexOf('=') + 1)
        .replace(/"/g, '')
        .split(/\s+/),
    );
  return ids.some((id) => id === 'debian' || id === 'ubuntu');
}

export function readOsRelease(): string {
  try {
    return readFileSync('/etc/os-release', 'utf8');
  } catch {
    return '';
  }
}

/** apt-get's own output goes to stderr, keeping stdout for the address `up` prints. */
function aptGet(args: readonly string[]): Promise<boolean> {
  return new Promise((resolve) => {
    // `env` sets the frontend for apt alone; debconf must not stop to ask questions.
    const child = spawn('env', ['DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args], {
      stdio: ['ignore', 2, 2],
    });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

export async function aptInstall(packages: readonly string[], say: (line: string) => void): Promise<void> {
  say(`Installing missing packages: apt-get install -y ${packages.join(' ')}`);
  if (await aptGet(['install', '-y', ...packages])) return;
  say('apt-get install failed; refreshing the package lists (apt-get update) and trying again');
  await aptGet(['update']);
  await aptGet(['install', '-y', ...packages]);
}

/**
 * What `steward up` does before starting anything: on Debian/Ubuntu as root it installs the
 * missing required packages itself; anywhere else it stops with the exact commands to run.
 */
export async function ensureRequirements(
  probes: Probes,
  dockerSocket: string,
  say: (line: string) => void,
): Promise<DoctorReport> {
  const report = await checkRequirements(probes, dockerSocket);
  if (report.ok) return report;
  const packages = aptPackagesFor(report);
  const onlyPackagesMissing = report.missingRequired.every((id) => id !== 'node');
  const canInstall =
    probes.platform === 'linux' &&
    process.getuid?.() === 0 &&
    isDebianLike(readOsRelease()) &&
    packages.length > 0 &&
    onlyPackagesMissing;
  if (canInstall) {
    await aptInstall(packages, say);
    const after = await checkRequirements(probes, dockerSocket);
    if (after.ok) return after;
    throw new CliError(
      `Steward cannot start: required software is still missing.\n\n${formatDoctorReport(after)}`,
    );
  }
  throw new CliError(`Steward cannot start: required software is missing.\n\n${formatDoctorReport(report)}`);
}
