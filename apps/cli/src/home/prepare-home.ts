import { chmodSync, mkdirSync } from 'node:fs';
import type { StewardPaths } from '@steward/config';

/** The folders of STEWARD_HOME, private to the person running Steward. */
export function homeDirectories(paths: StewardPaths): string[] {
  return [
    paths.home,
    paths.runDir,
    paths.natsRunDir,
    paths.dataDir,
    paths.natsStoreDir,
    paths.trashDir,
    paths.logsDir,
    paths.pluginsDir,
  ];
}

/** Creates them 0700, and tightens any that already exist: they hold secrets and the person's data. */
export function prepareHome(paths: StewardPaths): void {
  for (const dir of homeDirectories(paths)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
}
