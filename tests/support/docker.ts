import { execFileSync } from 'node:child_process';

/** Whether a Docker engine answers here; Docker-only suites run only then. */
export function dockerRunning(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}
