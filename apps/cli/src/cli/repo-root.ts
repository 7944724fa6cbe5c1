import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceName } from '@steward/contracts';
import { CliError } from './cli-error.js';

/** This file is apps/cli/{src,dist}/cli/repo-root.*, four levels below the checkout. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

export const CLI_ENTRY = join(REPO_ROOT, 'apps', 'cli', 'dist', 'main.js');

export function serviceEntry(service: ServiceName): string {
  return join(REPO_ROOT, 'apps', service, 'dist', 'main.js');
}

/** Every service must be built before anything starts, or the supervisor would only loop on crashes. */
export function assertServicesBuilt(services: readonly ServiceName[]): void {
  const missing = services.filter((service) => !existsSync(serviceEntry(service)));
  if (missing.length > 0) {
    throw new CliError(
      `these services are not built: ${missing.join(', ')}. Build with "npx tsc -b tsconfig.build.json" in ${REPO_ROOT} (./steward up does it for you).`,
    );
  }
}
