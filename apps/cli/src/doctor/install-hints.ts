export type RequirementId =
  'node' | 'nats-server' | 'docker' | 'bubblewrap' | 'debootstrap' | 'chromium' | 'ripgrep';

export interface InstallHint {
  readonly debian: readonly string[];
  readonly macos: readonly string[];
}

/** The exact commands that install each requirement, as a person would paste them. */
export const INSTALL_HINTS: Readonly<Record<RequirementId, InstallHint>> = {
  node: {
    debian: [
      'curl -fsSL https://deb.nodesource.com/setup_22.x | sudo -E bash -',
      'sudo apt-get install -y nodejs',
    ],
    macos: ['brew install node@22'],
  },
  'nats-server': { debian: ['sudo apt-get install -y nats-server'], macos: ['brew install nats-server'] },
  docker: { debian: ['sudo apt-get install -y docker.io'], macos: ['brew install --cask docker'] },
  bubblewrap: { debian: ['sudo apt-get install -y bubblewrap'], macos: [] },
  debootstrap: { debian: ['sudo apt-get install -y debootstrap'], macos: [] },
  chromium: { debian: ['sudo apt-get install -y chromium'], macos: ['brew install --cask chromium'] },
  ripgrep: { debian: ['sudo apt-get install -y ripgrep'], macos: ['brew install ripgrep'] },
};

/** Debian/Ubuntu package names `steward up` may install by itself (required ones only). */
export const APT_PACKAGES: Readonly<Partial<Record<RequirementId, string>>> = {
  'nats-server': 'nats-server',
  bubblewrap: 'bubblewrap',
};

/** When the program is there but the Docker engine is not usable. */
export const DOCKER_NOT_RUNNING_HINT: InstallHint = {
  debian: ['sudo systemctl start docker'],
  macos: ['open -a Docker'],
};

export const DOCKER_PERMISSION_HINT: InstallHint = {
  debian: ['sudo usermod -aG docker "$USER"   # then log out and in again'],
  macos: [],
};

export function formatHint(hint: InstallHint, indent = '      '): string[] {
  const lines: string[] = [];
  if (hint.debian.length > 0) lines.push(`${indent}Debian/Ubuntu: ${hint.debian.join(' && ')}`);
  if (hint.macos.length > 0) lines.push(`${indent}macOS:         ${hint.macos.join(' && ')}`);
  return lines;
}
