import { describe, expect, it } from 'vitest';
import { isDebianLike } from './auto-install.js';
import type { DockerOutcome, Probes, RunOutcome } from './probes.js';
import { aptPackagesFor, checkRequirements, compareVersions, formatDoctorReport } from './requirements.js';

interface Machine {
  readonly node?: string;
  readonly docker?: DockerOutcome;
  readonly commands?: Readonly<Record<string, RunOutcome>>;
  readonly platform?: NodeJS.Platform;
}

const INSTALLED: Record<string, RunOutcome> = {
  'nats-server': { kind: 'ok', output: 'nats-server: v2.9.10' },
  bwrap: { kind: 'ok', output: '' },
  debootstrap: { kind: 'ok', output: 'debootstrap 1.0.128+nmu2+deb12u2' },
  docker: { kind: 'ok', output: 'Docker version 20.10' },
  chromium: { kind: 'ok', output: 'Chromium 156' },
  rg: { kind: 'ok', output: 'ripgrep 13.0.0' },
};

function probes(machine: Machine): Probes {
  const commands = { ...INSTALLED, ...machine.commands };
  return {
    platform: machine.platform ?? 'linux',
    nodeVersion: () => machine.node ?? '20.20.2',
    run: async (command) => commands[command] ?? { kind: 'missing' },
    dockerPing: async () => machine.docker ?? 'ok',
  };
}

const missing: RunOutcome = { kind: 'missing' };

describe('checkRequirements', () => {
  it('is satisfied on a complete machine and prefers Docker as the sandbox', async () => {
    const report = await checkRequirements(probes({}));
    expect(report.ok).toBe(true);
    expect(report.sandboxRuntime).toBe('docker');
    expect(report.missingRequired).toEqual([]);
  });

  it('accepts bubblewrap alone as the sandbox when the Docker engine does not answer', async () => {
    const report = await checkRequirements(probes({ docker: 'not-responding' }));
    expect(report.ok).toBe(true);
    expect(report.sandboxRuntime).toBe('bubblewrap');
    expect(formatDoctorReport(report)).not.toContain('systemctl start docker');
  });

  it('requires nats-server and names the exact install commands for Debian/Ubuntu and macOS', async () => {
    const report = await checkRequirements(probes({ commands: { 'nats-server': missing } }));
    expect(report.ok).toBe(false);
    expect(report.missingRequired).toEqual(['nats-server']);
    const text = formatDoctorReport(report);
    expect(text).toContain('sudo apt-get install -y nats-server');
    expect(text).toContain('brew install nats-server');
    expect(aptPackagesFor(report)).toEqual(['nats-server']);
  });

  it('requires one sandbox runtime and offers both, Docker as docker.io', async () => {
    const report = await checkRequirements(
      probes({ docker: 'missing', commands: { docker: missing, bwrap: missing } }),
    );
    expect(report.ok).toBe(false);
    expect(report.sandboxRuntime).toBeUndefined();
    expect(report.missingRequired).toEqual(['docker', 'bubblewrap']);
    const text = formatDoctorReport(report);
    expect(text).toContain('sudo apt-get install -y docker.io');
    expect(text).toContain('brew install --cask docker');
    expect(text).toContain('sudo apt-get install -y bubblewrap');
    expect(aptPackagesFor(report)).toEqual(['bubblewrap']);
  });

  it('tells an installed but stopped Docker apart from a missing one', async () => {
    const report = await checkRequirements(probes({ docker: 'missing', commands: { bwrap: missing } }));
    const text = formatDoctorReport(report);
    expect(text).toContain('sudo systemctl start docker');
    expect(text).not.toContain('docker.io');
  });

  it('does not offer to install bubblewrap when it is installed but cannot run', async () => {
    const report = await checkRequirements(
      probes({
        docker: 'missing',
        commands: {
          docker: missing,
          bwrap: { kind: 'failed', output: 'bwrap: No permissions to create new namespace' },
        },
      }),
    );
    expect(report.ok).toBe(false);
    expect(formatDoctorReport(report)).toContain('No permissions to create new namespace');
    expect(aptPackagesFor(report)).toEqual([]);
  });

  it('only reports optional tools, never fails for them', async () => {
    const report = await checkRequirements(
      probes({ commands: { chromium: missing, 'chromium-browser': missing, rg: missing } }),
    );
    expect(report.ok).toBe(true);
    const text = formatDoctorReport(report);
    expect(text).toContain('sudo apt-get install -y chromium');
    expect(text).toContain('sudo apt-get install -y ripgrep');
    expect(text).toContain('brew install ripgrep');
  });

  it('reports debootstrap as optional, found in /usr/sbin when PATH lacks it', async () => {
    const inSbin = await checkRequirements(
      probes({
        commands: {
          debootstrap: missing,
          '/usr/sbin/debootstrap': { kind: 'ok', output: 'debootstrap 1.0.128' },
        },
      }),
    );
    expect(inSbin.findings.find((f) => f.id === 'debootstrap')?.ok).toBe(true);
    const absent = await checkRequirements(probes({ commands: { debootstrap: missing } }));
    expect(absent.ok).toBe(true);
    expect(formatDoctorReport(absent)).toContain('sudo apt-get install -y debootstrap');
    const mac = await checkRequirements(probes({ platform: 'darwin', docker: 'ok' }));
    expect(mac.findings.find((f) => f.id === 'debootstrap')?.detail).toBe('Linux only');
  });

  it('requires Node.js 20.19 or newer', async () => {
    const old = await checkRequirements(probes({ node: '20.18.1' }));
    expect(old.missingRequired).toEqual(['node']);
    expect(formatDoctorReport(old)).toContain('nodesource');
    expect((await checkRequirements(probes({ node: '22.0.0' }))).ok).toBe(true);
  });
});

describe('compareVersions', () => {
  it('orders versions numerically, not as text', () => {
    expect(compareVersions('20.19.0', '20.9.0')).toBe(1);
    expect(compareVersions('v20.19.0', '20.19.0')).toBe(0);
    expect(compareVersions('20.18.9', '20.19')).toBe(-1);
  });
});

describe('isDebianLike', () => {
  it('recognises Debian, Ubuntu and their derivatives only', () => {
    expect(isDebianLike('PRETTY_NAME="Debian GNU/Linux 12"\nID=debian\n')).toBe(true);
    expect(isDebianLike('ID=ubuntu\nID_LIKE=debian\n')).toBe(true);
    expect(isDebianLike('ID=linuxmint\nID_LIKE="ubuntu debian"\n')).toBe(true);
    expect(isDebianLike('ID=fedora\n')).toBe(false);
    expect(isDebianLike('')).toBe(false);
  });
});
