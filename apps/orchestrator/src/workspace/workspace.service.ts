import { Inject, Injectable } from '@nestjs/common';
import { fsRootsInspect, type orchestratorWorkspaceInspect, type RpcResponse } from '@steward/contracts';
import { BusClient } from '@steward/messaging';

type Inspection = RpcResponse<typeof orchestratorWorkspaceInspect>;

/**
 * Decides whether a set of folders can be a task's workspace. fs-service answers for each
 * folder (it alone may stat the person's files); the orchestrator adds what only the whole set
 * shows: the same folder twice, or one folder inside another.
 */
@Injectable()
export class WorkspaceService {
  constructor(@Inject(BusClient) private readonly bus: BusClient) {}

  async inspect(folders: string[]): Promise<Inspection> {
    const { folders: inspected } = await this.bus.request(fsRootsInspect, { folders });
    const problems: string[] = [];
    for (const folder of inspected) {
      if (folder.reason) problems.push(`${folder.path}: ${folder.reason}`);
    }
    const reals = inspected.map((f) => f.realPath ?? f.path);
    reals.forEach((a, i) => {
      reals.forEach((b, j) => {
        if (i >= j) return;
        if (a === b) problems.push(`${inspected[i]?.path} and ${inspected[j]?.path} are the same folder`);
        else if (contains(a, b) || contains(b, a)) {
          problems.push(
            `${inspected[i]?.path} and ${inspected[j]?.path} are nested; connect only the outer one`,
          );
        }
      });
    });
    const ready =
      problems.length === 0 && inspected.every((f) => f.exists && f.isDirectory && f.allowed && f.readable);
    return { ready, folders: inspected, problems };
  }
}

function contains(parent: string, child: string): boolean {
  const base = parent.endsWith('/') ? parent : `${parent}/`;
  return child.startsWith(base);
}
