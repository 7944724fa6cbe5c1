import { Inject, Injectable } from '@nestjs/common';
import { access, realpath, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import type { FolderInspection } from '@steward/contracts';
import { folderAllowedByPolicy, PolicyStore } from '@steward/config';

/**
 * Answers "may this folder be connected, and is it usable?" with stats only: nothing inside
 * the folder is listed or read.
 */
@Injectable()
export class RootsService {
  constructor(@Inject(PolicyStore) private readonly policy: PolicyStore) {}

  async inspect(folder: string): Promise<FolderInspection> {
    const requested = path.resolve(folder);
    const base: FolderInspection = {
      path: folder,
      exists: false,
      isDirectory: false,
      readable: false,
      writable: false,
      allowed: false,
    };
    let real: string;
    try {
      real = await realpath(requested);
    } catch {
      return { ...base, allowed: this.isAllowed(requested), reason: 'the folder does not exist' };
    }
    const info = await stat(real);
    const allowed = this.isAllowed(real);
    const result: FolderInspection = {
      ...base,
      realPath: real,
      exists: true,
      isDirectory: info.isDirectory(),
      readable: await canAccess(real, constants.R_OK | constants.X_OK),
      writable: await canAccess(real, constants.W_OK),
      allowed,
    };
    const reason = !info.isDirectory()
      ? 'not a folder'
      : !allowed
        ? 'your organization does not allow connecting this folder'
        : !result.readable
          ? 'Steward cannot read this folder'
          : undefined;
    return reason ? { ...result, reason } : result;
  }

  private isAllowed(realFolder: string): boolean {
    return folderAllowedByPolicy(this.policy.current, realFolder);
  }
}

async function canAccess(target: string, mode: number): Promise<boolean> {
  try {
    await access(target, mode);
    return true;
  } catch {
    return false;
  }
}
