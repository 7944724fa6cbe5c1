import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The agent script as shipped, beside the compiled service: dist/sandbox → ../../sandbox-agent. */
const SHIPPED_AGENT = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  '..',
  '..',
  'sandbox-agent',
  'agent.mjs',
);

/**
 * Puts the agent script where every sandbox can read it: next to the root file systems in the
 * sandbox cache (world-readable), under a name that changes with its content. A sandbox started by
 * root runs as the folders' owner, who may not be able to reach the service's own install folder.
 * Answers the folder to mount.
 */
export async function installAgent(cacheDir: string): Promise<string> {
  const source = await readFile(SHIPPED_AGENT);
  const digest = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const folder = path.join(cacheDir, `agent-${digest}`);
  const target = path.join(folder, 'agent.mjs');
  if (
    await stat(target).then(
      (info) => info.size === source.length,
      () => false,
    )
  ) {
    return folder;
  }
  await mkdir(folder, { recursive: true, mode: 0o755 });
  await chmod(folder, 0o755);
  const temp = `${target}.${process.pid}.tmp`;
  await writeFile(temp, source, { mode: 0o644 });
  await rename(temp, target);
  return folder;
}
