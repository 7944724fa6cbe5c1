import { loadRuntimeConfig } from '@steward/config';
import { EXIT, type ExitCode } from '../cli/cli-error.js';
import { describeBuild, formatSandboxProgress } from '../sandbox/ensure-sandbox.js';
import { buildSandbox } from '../sandbox/sandbox-image.js';
import { describePrune, pruneSandbox } from '../sandbox/sandbox-prune.js';
import { print, say } from './output.js';

export async function sandboxBuildCommand(options: {
  readonly office: boolean;
  readonly force: boolean;
  readonly json: boolean;
}): Promise<ExitCode> {
  const config = loadRuntimeConfig();
  const result = await buildSandbox(
    {
      cacheDir: config.sandboxCacheDir,
      office: options.office,
      force: options.force,
      dockerSocket: config.dockerSocket,
      installTools: true,
    },
    (progress) => say(formatSandboxProgress(progress)),
  );
  const { manifest } = result;
  for (const line of describeBuild(result)) say(line);
  if (!result.pointerUpdated)
    say(
      `Could not update ${config.sandboxCacheDir}/current.json (no permission); run this as root to switch to this image.`,
    );
  if (options.json) {
    print(JSON.stringify(manifest, null, 2));
  } else {
    if (!result.built)
      say(
        `Sandbox image ${manifest.version} is already built (built ${manifest.builtAt}; --force rebuilds it).`,
      );
    print(
      `${manifest.version} ${result.rootfs}${result.docker.kind === 'imported' || result.docker.kind === 'present' ? ` ${manifest.dockerImage}` : ''}`,
    );
  }
  return result.docker.kind === 'failed' ? EXIT.failure : EXIT.ok;
}

export async function sandboxPruneCommand(options: {
  readonly dryRun: boolean;
  readonly json: boolean;
}): Promise<ExitCode> {
  const config = loadRuntimeConfig();
  const report = await pruneSandbox(
    { cacheDir: config.sandboxCacheDir, dockerSocket: config.dockerSocket, dryRun: options.dryRun },
    say,
  );
  if (options.json) print(JSON.stringify(report, null, 2));
  else for (const line of describePrune(report)) print(line);
  return report.failed.length > 0 || report.docker.status === 'failed' ? EXIT.failure : EXIT.ok;
}
