import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptInstall, ensureRequirements, isDebianLike, readOsRelease } from './auto-install.js';
import { formatHint, INSTALL_HINTS } from './install-hints.js';
import type { Probes } from './probes.js';
import { checkRequirements, type DoctorReport } from './requirements.js';

/** What the test suite uses beyond what `up` needs: both sandbox runtimes, a browser, ripgrep. */
const TEST_PACKAGES: ReadonlyArray<{ id: 'docker' | 'bubblewrap' | 'chromium' | 'ripgrep'; apt: string }> = [
  { id: 'docker', apt: 'docker.io' },
  { id: 'bubblewrap', apt: 'bubblewrap' },
  { id: 'chromium', apt: 'chromium' },
  { id: 'ripgrep', apt: 'ripgrep' },
];
const DOCKERD_WAIT_MS = 60_000;

/**
 * `steward test` sets the machine up exactly as `up` does, then adds what the suite drives for
 * real. As root on Debian/Ubuntu it installs and starts them; elsewhere it says what is missing
 * and the tests that need it will fail with that reason.
 */
export async function prepareTestMachine(
  probes: Probes,
  dockerSocket: string,
  say: (line: string) => void,
): Promise<DoctorReport> {
  await ensureRequirements(probes, dockerSocket, say);
  const canInstall = probes.platform === 'linux' && process.getuid?.() === 0 && isDebianLike(readOsRelease());
  let report = await checkRequirements(probes, dockerSocket);
  const absent = TEST_PACKAGES.filter(({ id }) => !report.findings.find((f) => f.id === id)?.present);
  if (absent.length > 0) {
    if (!canInstall) {
      for (const { id } of absent) say(`tests need ${id}: ${formatHint(INSTALL_HINTS[id], '').join('; ')}`);
      return report;
    }
    await aptInstall(
      absent.map((p) => p.apt),
      say,
    );
    report = await checkRequirements(probes, dockerSocket);
  }
  const docker = report.findings.find((f) => f.id === 'docker');
  if (docker?.present && !docker.ok && canInstall) {
    say('starting the Docker engine (dockerd) for the sandbox tests');
    const log = openSync(join(tmpdir(), 'steward-dockerd.log'), 'a', 0o600);
    spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log] }).unref();
    const deadline = Date.now() + DOCKERD_WAIT_MS;
    while (Date.now() < deadline && (await probes.dockerPing(dockerSocket)) !== 'ok') {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    report = await checkRequirements(probes, dockerSocket);
  }
  return report;
}
