import {
  APT_PACKAGES,
  DOCKER_NOT_RUNNING_HINT,
  DOCKER_PERMISSION_HINT,
  formatHint,
  INSTALL_HINTS,
  type InstallHint,
  type RequirementId,
} from './install-hints.js';
import type { Probes } from './probes.js';

export const MIN_NODE_VERSION = '20.19.0';
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** `sandbox` requirements are alternatives: one working runtime is enough (Docker preferred). */
export type Need = 'required' | 'sandbox' | 'optional';

export interface Finding {
  readonly id: RequirementId;
  readonly label: string;
  readonly need: Need;
  readonly purpose: string;
  /** Installed and working. */
  readonly ok: boolean;
  /** Installed at all (it may still not work). */
  readonly present: boolean;
  readonly detail: string;
  /** How to fix it, when it is not ok. */
  readonly hint?: InstallHint;
}

export interface DoctorReport {
  readonly findings: readonly Finding[];
  readonly sandboxRuntime: 'docker' | 'bubblewrap' | undefined;
  /** Required things missing or broken; empty means Steward can run here. */
  readonly missingRequired: readonly RequirementId[];
  readonly ok: boolean;
}

export function compareVersions(a: string, b: string): number {
  const parse = (v: string): number[] =>
    v
      .replace(/^v/, '')
      .split('.')
      .map((part) => Number.parseInt(part, 10) || 0);
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const diff = (x[i] ?? 0) - (y[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

const firstLine = (text: string): string => text.split('\n')[0]?.trim() ?? '';

function nodeFinding(probes: Probes): Finding {
  const version = probes.nodeVersion();
  const ok = compareVersions(version, MIN_NODE_VERSION) >= 0;
  return {
    id: 'node',
    label: 'Node.js',
    need: 'required',
    purpose: 'runs every service',
    ok,
    present: true,
    detail: ok ? `v${version}` : `v${version} is too old; Steward needs ${MIN_NODE_VERSION} or newer`,
    ...(ok ? {} : { hint: INSTALL_HINTS.node }),
  };
}

async function commandFinding(
  probes: Probes,
  base: Pick<Finding, 'id' | 'label' | 'need' | 'purpose'>,
  candidates: ReadonlyArray<readonly [string, readonly string[]]>,
): Promise<Finding> {
  let failure: string | undefined;
  for (const [command, args] of candidates) {
    const outcome = await probes.run(command, args);
    if (outcome.kind === 'ok')
      return { ...base, ok: true, present: true, detail: firstLine(outcome.output) || 'works' };
    if (outcome.kind === 'failed')
      failure ??= `${command} is installed but failed: ${firstLine(outcome.output)}`;
  }
  return {
    ...base,
    ok: false,
    present: failure !== undefined,
    detail: failure ?? 'not found',
    hint: INSTALL_HINTS[base.id],
  };
}

async function dockerFinding(probes: Probes, socket: string): Promise<Finding> {
  const base = {
    id: 'docker',
    label: 'Docker engine',
    need: 'sandbox',
    purpose: 'sandbox for running code, preferred',
  } as const;
  const ping = await probes.dockerPing(socket);
  if (ping === 'ok') return { ...base, ok: true, present: true, detail: `reachable at ${socket}` };
  const cli = await probes.run('docker', ['--version']);
  if (ping === 'denied') {
    return {
      ...base,
      ok: false,
      present: true,
      detail: `no permission to use ${socket}`,
      hint: DOCKER_PERMISSION_HINT,
    };
  }
  if (cli.kind === 'missing' && ping === 'missing') {
    return { ...base, ok: false, present: false, detail: 'not installed', hint: INSTALL_HINTS.docker };
  }
  return {
    ...base,
    ok: false,
    present: true,
    detail: `installed but the engine does not answer at ${socket}`,
    hint: DOCKER_NOT_RUNNING_HINT,
  };
}

/** `steward sandbox build` installs it itself when run as root, so it is never a blocker. */
function debootstrapFinding(probes: Probes): Promise<Finding> {
  const base = {
    id: 'debootstrap',
    label: 'debootstrap',
    need: 'optional',
    purpose: 'builds the sandbox image: steward sandbox build',
  } as const;
  if (probes.platform !== 'linux')
    return Promise.resolve({ ...base, ok: false, present: false, detail: 'Linux only' });
  // A person's PATH on Debian lacks /usr/sbin, where it lives.
  return commandFinding(probes, base, [
    ['debootstrap', ['--version']],
    ['/usr/sbin/debootstrap', ['--version']],
  ]);
}

/**
 * Checks everything Steward needs or can use on this machine. Never throws. `dockerSocket` is
 * the one vm-service will use (DOCKER_HOST, through the runtime config).
 */
export async function checkRequirements(
  probes: Probes,
  dockerSocket = DEFAULT_DOCKER_SOCKET,
): Promise<DoctorReport> {
  const node = nodeFinding(probes);
  const [nats, docker, bwrap, debootstrap, chromium, ripgrep] = await Promise.all([
    commandFinding(
      probes,
      { id: 'nats-server', label: 'nats-server', need: 'required', purpose: 'the message bus' },
      [['nats-server', ['--version']]],
    ),
    dockerFinding(probes, dockerSocket),
    probes.platform === 'linux'
      ? commandFinding(
          probes,
          {
            id: 'bubblewrap',
            label: 'bubblewrap (bwrap)',
            need: 'sandbox',
            purpose: 'sandbox for running code',
          },
          [['bwrap', ['--unshare-all', '--ro-bind', '/', '/', 'true']]],
        )
      : Promise.resolve<Finding>({
          id: 'bubblewrap',
          label: 'bubblewrap (bwrap)',
          need: 'sandbox',
          purpose: 'sandbox for running code',
          ok: false,
          present: false,
          detail: 'Linux only; use Docker on this system',
        }),
    debootstrapFinding(probes),
    commandFinding(
      probes,
      { id: 'chromium', label: 'Chromium', need: 'optional', purpose: 'browser tests' },
      [
        ['chromium', ['--version']],
        ['chromium-browser', ['--version']],
        ['/Applications/Chromium.app/Contents/MacOS/Chromium', ['--version']],
      ],
    ),
    commandFinding(
      probes,
      { id: 'ripgrep', label: 'ripgrep (rg)', need: 'optional', purpose: 'benchmarks' },
      [['rg', ['--version']]],
    ),
  ]);
  return summarize([node, nats, docker, bwrap, debootstrap, chromium, ripgrep]);
}

export function summarize(findings: readonly Finding[]): DoctorReport {
  const byId = (id: RequirementId): Finding | undefined => findings.find((finding) => finding.id === id);
  const sandboxRuntime = byId('docker')?.ok ? 'docker' : byId('bubblewrap')?.ok ? 'bubblewrap' : undefined;
  const missingRequired: RequirementId[] = findings
    .filter((f) => f.need === 'required' && !f.ok)
    .map((f) => f.id);
  if (sandboxRuntime === undefined)
    missingRequired.push(...findings.filter((f) => f.need === 'sandbox').map((f) => f.id));
  return { findings, sandboxRuntime, missingRequired, ok: missingRequired.length === 0 };
}

/**
 * The Debian/Ubuntu packages that would fix what is missing: nats-server if absent, and
 * bubblewrap when no sandbox works and bwrap is not installed (Docker needs a daemon set up, so
 * it is left to the person).
 */
export function aptPackagesFor(report: DoctorReport): string[] {
  const packages: string[] = [];
  for (const id of report.missingRequired) {
    const finding = report.findings.find((f) => f.id === id);
    const pkg = APT_PACKAGES[id];
    if (finding !== undefined && pkg !== undefined && !finding.present) packages.push(pkg);
  }
  return packages;
}

const MARK: Readonly<Record<'ok' | 'missing' | 'unused' | 'optional', string>> = {
  ok: '[ok]     ',
  missing: '[missing]',
  unused: '[-]      ',
  optional: '[absent] ',
};

export function formatDoctorReport(report: DoctorReport): string {
  const lines: string[] = [];
  for (const finding of report.findings) {
    const unusedAlternative =
      finding.need === 'sandbox' && !finding.ok && report.sandboxRuntime !== undefined;
    const mark = finding.ok
      ? MARK.ok
      : unusedAlternative
        ? MARK.unused
        : finding.need === 'optional'
          ? MARK.optional
          : MARK.missing;
    const need = finding.need === 'optional' ? `optional: ${finding.purpose}` : finding.purpose;
    lines.push(`${mark} ${finding.label} — ${finding.detail} (${need})`);
    if (!finding.ok && !unusedAlternative && finding.hint !== undefined)
      lines.push(...formatHint(finding.hint));
  }
  lines.push('');
  lines.push(
    report.sandboxRuntime === undefined
      ? 'Sandbox: none works. Install one of the two above to let Steward run code (Docker preferred).'
      : `Sandbox: ${report.sandboxRuntime === 'docker' ? 'Docker' : 'bubblewrap'}`,
  );
  lines.push(
    report.ok
      ? 'Everything Steward needs is here.'
      : `Missing required: ${report.missingRequired.join(', ')}. Run the commands above, then "steward doctor" again.`,
  );
  return lines.join('\n');
}
