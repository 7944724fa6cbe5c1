import { execFile } from 'node:child_process';
import { pipeLogged, systemCommand, type BuildLog } from './build-process.js';

export const DOCKER_REPOSITORY = 'steward-sandbox';
export const VERSION_LABEL = 'org.steward.sandbox.version';

export function dockerImageTag(version: string): string {
  return `${DOCKER_REPOSITORY}:${version}`;
}

/** `docker import` changes: the image's environment (a plain tar carries none) and its version label. */
export function dockerImportArgs(
  socket: string,
  tag: string,
  env: Readonly<Record<string, string>>,
  version: string,
): string[] {
  const changes = [
    ...Object.entries(env).map(([key, value]) => `ENV ${key}=${JSON.stringify(value)}`),
    `LABEL ${VERSION_LABEL}=${JSON.stringify(version)}`,
  ];
  return ['-H', `unix://${socket}`, 'import', ...changes.flatMap((change) => ['-c', change]), '-', tag];
}

function docker(socket: string, args: readonly string[], timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('docker', ['-H', `unix://${socket}`, ...args], { timeout: timeoutMs }, (error) =>
      resolve(error === null),
    );
  });
}

/** Whether an engine answers `docker info` through the socket vm-service will use. */
export function dockerEngineReachable(socket: string): Promise<boolean> {
  return docker(socket, ['info', '--format', '{{.ServerVersion}}'], 15_000);
}

export function dockerImageExists(socket: string, tag: string): Promise<boolean> {
  return docker(socket, ['image', 'inspect', '--format', '{{.Id}}', tag], 15_000);
}

/** `tar -C rootfs -c . | docker import … - tag`: the very tree bubblewrap uses, as an image. */
export async function importIntoDocker(
  socket: string,
  rootfs: string,
  version: string,
  env: Readonly<Record<string, string>>,
  log: BuildLog,
): Promise<string> {
  const tag = dockerImageTag(version);
  await pipeLogged(
    [systemCommand('tar'), ['--numeric-owner', '-C', rootfs, '-c', '.']],
    ['docker', dockerImportArgs(socket, tag, env, version)],
    log,
    `importing the image into Docker as ${tag}`,
  );
  return tag;
}
