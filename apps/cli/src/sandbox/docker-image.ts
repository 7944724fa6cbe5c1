import { execFile } from 'node:child_process';
import { z } from 'zod';
import { StewardError } from '@steward/contracts';
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

export interface DockerImageInfo {
  /** `sha256:…`. */
  readonly id: string;
  readonly bytes: number;
  /** Every `repository:tag` naming it, Steward's or not; empty for a dangling image. */
  readonly tags: readonly string[];
}

export interface DockerContainerInfo {
  readonly id: string;
  readonly name: string;
  /** The image it was created from, by id: a tag can move, a container keeps its image. */
  readonly imageId: string;
  /** `running`, `exited`, `created`, … */
  readonly state: string;
}

const imageInspectSchema = z.array(
  z.object({
    Id: z.string().min(1),
    Size: z.number().int().nonnegative(),
    RepoTags: z.array(z.string()).nullish(),
  }),
);

const containerInspectSchema = z.array(
  z.object({
    Id: z.string().min(1),
    Name: z.string(),
    Image: z.string().min(1),
    State: z.object({ Status: z.string() }),
  }),
);

function parseInspect<T>(what: string, stdout: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch (error) {
    throw new StewardError('INTERNAL', `docker ${what} inspect printed something that is not JSON`, {
      cause: error,
    });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new StewardError(
      'INTERNAL',
      `docker ${what} inspect printed an unexpected shape: ${parsed.error.message}`,
    );
  return parsed.data;
}

/** `docker image inspect` output as the fields pruning needs. */
export function parseImageInspect(stdout: string): DockerImageInfo[] {
  return parseInspect('image', stdout, imageInspectSchema).map((image) => ({
    id: image.Id,
    bytes: image.Size,
    tags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'),
  }));
}

/** `docker container inspect` output as the fields pruning needs. */
export function parseContainerInspect(stdout: string): DockerContainerInfo[] {
  return parseInspect('container', stdout, containerInspectSchema).map((container) => ({
    id: container.Id,
    name: container.Name.replace(/^\//, ''),
    imageId: container.Image,
    state: container.State.Status,
  }));
}

interface DockerRun {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

function dockerRun(socket: string, args: readonly string[], timeoutMs: number): Promise<DockerRun> {
  return new Promise((resolve) => {
    execFile(
      'docker',
      ['-H', `unix://${socket}`, ...args],
      { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => resolve({ ok: error === null, stdout, stderr }),
    );
  });
}

function dockerFailure(what: string, run: DockerRun): StewardError {
  return new StewardError('UNAVAILABLE', `docker ${what} failed: ${run.stderr.trim() || 'no answer'}`, {
    retryable: true,
  });
}

async function dockerLines(socket: string, args: readonly string[], what: string): Promise<string[]> {
  const run = await dockerRun(socket, args, 60_000);
  if (!run.ok) throw dockerFailure(what, run);
  return run.stdout.split('\n').filter((line) => line.trim() !== '');
}

/**
 * `inspect` of several objects prints the ones it found and fails for any that went away in the
 * meantime; what it printed is still the truth about the ones that exist.
 */
async function dockerInspect(
  socket: string,
  kind: 'image' | 'container',
  ids: readonly string[],
): Promise<string> {
  if (ids.length === 0) return '[]';
  const run = await dockerRun(socket, [kind, 'inspect', ...ids], 60_000);
  if (!run.ok && !run.stdout.trim().startsWith('[')) throw dockerFailure(`${kind} inspect`, run);
  return run.stdout;
}

/**
 * Steward's images in the engine: every `steward-sandbox:*` tag, and images left dangling (with
 * Steward's version label, no tag) when `sandbox build --force` imported a version again.
 */
export async function listSandboxImages(socket: string): Promise<DockerImageInfo[]> {
  const tagged = await dockerLines(
    socket,
    ['image', 'ls', '--no-trunc', '--quiet', '--filter', `reference=${DOCKER_REPOSITORY}`],
    'image ls',
  );
  const dangling = await dockerLines(
    socket,
    [
      'image',
      'ls',
      '--no-trunc',
      '--quiet',
      '--filter',
      'dangling=true',
      '--filter',
      `label=${VERSION_LABEL}`,
    ],
    'image ls',
  );
  return parseImageInspect(await dockerInspect(socket, 'image', [...new Set([...tagged, ...dangling])]));
}

/** Every container, running or stopped, with the image it uses. */
export async function listContainers(socket: string): Promise<DockerContainerInfo[]> {
  const ids = await dockerLines(
    socket,
    ['container', 'ls', '--all', '--no-trunc', '--quiet'],
    'container ls',
  );
  return parseContainerInspect(await dockerInspect(socket, 'container', ids));
}

/**
 * `docker image rm` of one tag (or a dangling image's id), never forced: the engine itself
 * refuses when a container still uses an image, in case one was created since the check.
 * Undefined when it went, otherwise what Docker said.
 */
export async function removeDockerImage(socket: string, reference: string): Promise<string | undefined> {
  const run = await dockerRun(socket, ['image', 'rm', reference], 120_000);
  return run.ok ? undefined : run.stderr.trim() || 'docker image rm failed';
}
