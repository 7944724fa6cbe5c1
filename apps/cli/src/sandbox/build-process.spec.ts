import { describe, expect, it } from 'vitest';
import { mountsUnder } from './build-process.js';

const MOUNTINFO = [
  '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '90 22 0:5 / /root/.cache/steward/sandbox/.build-abc-1/rootfs/proc rw - proc proc rw',
  '91 22 0:6 / /root/.cache/steward/sandbox/.build-abc-1/rootfs/dev bind - devtmpfs udev rw',
  '92 22 0:7 / /root/.cache/steward/sandbox/.build-abc-12/rootfs/proc rw - proc proc rw',
  '93 22 0:8 / /home/ada/my\\040cache/.build-x/rootfs/proc rw - proc proc rw',
].join('\n');

describe('mountsUnder', () => {
  it('finds what is mounted inside a build folder, deepest first, and nothing in a sibling', () => {
    expect(mountsUnder('/root/.cache/steward/sandbox/.build-abc-1', MOUNTINFO)).toEqual([
      '/root/.cache/steward/sandbox/.build-abc-1/rootfs/proc',
      '/root/.cache/steward/sandbox/.build-abc-1/rootfs/dev',
    ]);
  });

  it('reads the octal escapes mountinfo uses for spaces', () => {
    expect(mountsUnder('/home/ada/my cache', MOUNTINFO)).toEqual(['/home/ada/my cache/.build-x/rootfs/proc']);
  });
});
