import { describe, expect, it } from 'vitest';
import {
  dockerImageTag,
  dockerImportArgs,
  parseContainerInspect,
  parseImageInspect,
} from './docker-image.js';

describe('dockerImportArgs', () => {
  it('gives the imported tree the image environment and its version label, reading the tar from stdin', () => {
    const args = dockerImportArgs(
      '/var/run/docker.sock',
      dockerImageTag('0823aa9006b8'),
      { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', NODE_PATH: '/opt/steward/node/node_modules' },
      '0823aa9006b8',
    );
    expect(args).toEqual([
      '-H',
      'unix:///var/run/docker.sock',
      'import',
      '-c',
      'ENV PATH="/usr/sbin:/usr/bin:/sbin:/bin"',
      '-c',
      'ENV NODE_PATH="/opt/steward/node/node_modules"',
      '-c',
      'LABEL org.steward.sandbox.version="0823aa9006b8"',
      '-',
      'steward-sandbox:0823aa9006b8',
    ]);
  });

  it('quotes values so a space cannot split an ENV instruction', () => {
    const args = dockerImportArgs('/s', 'steward-sandbox:x', { GREETING: 'hello world' }, 'x');
    expect(args).toContain('ENV GREETING="hello world"');
  });
});

describe('parseImageInspect', () => {
  it('reads id, size and tags, treating a dangling image as having none', () => {
    const stdout = JSON.stringify([
      { Id: 'sha256:aa', Size: 998, RepoTags: ['steward-sandbox:70da1eea9312', 'mine:1'], Os: 'linux' },
      { Id: 'sha256:bb', Size: 12, RepoTags: [] },
      { Id: 'sha256:cc', Size: 5, RepoTags: null },
      { Id: 'sha256:dd', Size: 7, RepoTags: ['<none>:<none>'] },
    ]);
    expect(parseImageInspect(stdout)).toEqual([
      { id: 'sha256:aa', bytes: 998, tags: ['steward-sandbox:70da1eea9312', 'mine:1'] },
      { id: 'sha256:bb', bytes: 12, tags: [] },
      { id: 'sha256:cc', bytes: 5, tags: [] },
      { id: 'sha256:dd', bytes: 7, tags: [] },
    ]);
  });

  it('fails with a typed error on output it does not understand', () => {
    expect(() => parseImageInspect('Error: no such image')).toThrow(
      expect.objectContaining({ name: 'StewardError', code: 'INTERNAL' }),
    );
    expect(() => parseImageInspect('[{"Id": "sha256:aa"}]')).toThrow(/unexpected shape/);
  });
});

describe('parseContainerInspect', () => {
  it('reads the image a container was created from by id, its name without the slash and its state', () => {
    const stdout = JSON.stringify([
      {
        Id: 'c1',
        Name: '/steward-agent-1',
        Image: 'sha256:aa',
        Config: { Image: 'steward-sandbox:70da1eea9312' },
        State: { Status: 'exited', Running: false },
      },
    ]);
    expect(parseContainerInspect(stdout)).toEqual([
      { id: 'c1', name: 'steward-agent-1', imageId: 'sha256:aa', state: 'exited' },
    ]);
  });
});
