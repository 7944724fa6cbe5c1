import type { RuntimeConfig } from '@steward/config';
import {
  buildSandbox,
  findBuiltSandbox,
  sudoBuildCommand,
  type BuildSandboxResult,
  type SandboxProgress,
} from './sandbox-image.js';
import type { SandboxBuildMode } from './sandbox.config.js';

export function formatSandboxProgress(progress: SandboxProgress): string {
  return `sandbox [${String(progress.elapsedSeconds).padStart(4)} s] ${progress.message}`;
}

export function formatSize(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${Math.round(bytes / 1e6)} MB`;
  return bytes >= 1e3 ? `${Math.round(bytes / 1e3)} kB` : `${bytes} B`;
}

/** One line per outcome worth telling; nothing when the image was simply there already. */
export function describeBuild(result: BuildSandboxResult): string[] {
  const { manifest } = result;
  const lines: string[] = [];
  if (result.built) {
    lines.push(
      `Sandbox image ${manifest.version}${manifest.office ? ' (with LibreOffice)' : ''} built in ${Math.round(manifest.buildSeconds)} s: ${formatSize(manifest.sizeBytes)} at ${result.rootfs}`,
    );
  }
  switch (result.docker.kind) {
    case 'imported':
      lines.push(
        `Imported into Docker as ${manifest.dockerImage} in ${Math.round(result.docker.seconds)} s.`,
      );
      break;
    case 'failed':
      lines.push(
        `The Docker import failed; sandboxes fall back to bubblewrap until it works (run "steward sandbox build" again):\n${result.docker.message}`,
      );
      break;
    case 'unavailable':
      if (result.built)
        lines.push(
          'No Docker engine answers, so the image was not imported; bubblewrap uses the folder as it is (the next build or "steward up" imports it once Docker runs).',
        );
      break;
    case 'present':
      break;
  }
  return lines;
}

export type EnsureOutcome = 'ready' | 'built' | 'missing' | 'skipped' | 'failed';

/**
 * What `up` and `test` do before starting anything: build the image when this Steward's recipe has
 * none (root only; it takes minutes, once per machine), import it into Docker when the engine
 * runs but lacks it. Never stops the caller: without an image the stack still starts and
 * vm-service answers UNAVAILABLE with how to build it.
 */
export async function ensureSandboxImage(
  config: RuntimeConfig,
  say: (line: string) => void,
  options: { readonly mode: SandboxBuildMode; readonly installTools: boolean },
): Promise<EnsureOutcome> {
  if (options.mode === 'skip') return 'skipped';
  const cacheDir = config.sandboxCacheDir;
  const found = findBuiltSandbox(cacheDir);
  if (found === undefined && process.getuid?.() !== 0) {
    say(
      `The sandbox image is not built yet, so Steward cannot run code until it is. Build it once (a few minutes):\n  ${sudoBuildCommand(cacheDir)}`,
    );
    return 'missing';
  }
  if (found === undefined)
    say(`Building the sandbox image into ${cacheDir} (once per machine, a few minutes)…`);
  try {
    const result = await buildSandbox(
      {
        cacheDir,
        office: found?.office ?? false,
        force: false,
        dockerSocket: config.dockerSocket,
        installTools: options.installTools,
      },
      (progress) => say(formatSandboxProgress(progress)),
    );
    for (const line of describeBuild(result)) say(line);
    return result.built ? 'built' : 'ready';
  } catch (error) {
    say(
      `The sandbox image could not be built, so Steward cannot run code yet: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 'failed';
  }
}
