import { describe, expect, it } from 'vitest';
import { dockerImageTag, dockerImportArgs } from './docker-image.js';

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
