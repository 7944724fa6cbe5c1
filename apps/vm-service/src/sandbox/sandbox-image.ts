import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { StewardError } from '@steward/contracts';
import type { SandboxImage } from '../runtimes/sandbox-driver.js';

/** What `steward sandbox build` leaves in the cache: `<cacheDir>/current.json`. */
const currentSchema = z.object({
  version: z.string().regex(/^[A-Za-z0-9._-]+$/),
  rootfs: z.string().refine((value) => path.isAbsolute(value), 'must be absolute'),
  dockerImage: z.string().min(1),
  env: z.record(z.string(), z.string()).optional(),
});

const DEFAULT_IMAGE_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  NODE_PATH: '/opt/steward/node/node_modules',
  MPLBACKEND: 'Agg',
};

/** The sandbox image built for this machine, or a clear UNAVAILABLE saying how to build it. */
export async function locateSandboxImage(cacheDir: string): Promise<SandboxImage> {
  const pointer = path.join(cacheDir, 'current.json');
  let raw: string;
  try {
    raw = await readFile(pointer, 'utf8');
  } catch {
    throw notBuilt(`${pointer} does not exist`);
  }
  let parsed: z.infer<typeof currentSchema>;
  try {
    parsed = currentSchema.parse(JSON.parse(raw));
  } catch (error) {
    throw notBuilt(`${pointer} is unreadable (${String(error)})`);
  }
  const rootfs = await stat(path.join(parsed.rootfs, 'usr', 'bin')).catch(() => undefined);
  if (rootfs === undefined) throw notBuilt(`its root file system ${parsed.rootfs} is missing`);
  return {
    version: parsed.version,
    rootfs: parsed.rootfs,
    dockerImage: parsed.dockerImage,
    env: { ...DEFAULT_IMAGE_ENV, ...parsed.env },
  };
}

function notBuilt(why: string): StewardError {
  return new StewardError(
    'UNAVAILABLE',
    `the sandbox image is not built (${why}); run "steward sandbox build" (steward up does it when missing)`,
    { retryable: false },
  );
}
