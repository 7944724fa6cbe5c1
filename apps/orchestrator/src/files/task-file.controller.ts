import path from 'node:path';
import { Controller, Inject } from '@nestjs/common';
import {
  fsFileFetch,
  orchestratorTaskFile,
  StewardError,
  type RpcRequest,
  type RpcResponse,
} from '@steward/contracts';
import { BusClient, RpcHandler } from '@steward/messaging';
import { TaskStore } from '../store/task-store.js';

/**
 * The files a task changed, for the page's chips. The page names a task and a path; only a path the
 * task itself changed is fetched, so the page cannot use a task to read anything else in its folders.
 * fs-service then applies the task's containment to the path as it is now.
 */
@Controller()
export class TaskFileController {
  constructor(
    @Inject(BusClient) private readonly bus: BusClient,
    @Inject(TaskStore) private readonly store: TaskStore,
  ) {}

  @RpcHandler(orchestratorTaskFile)
  async file(
    input: RpcRequest<typeof orchestratorTaskFile>,
  ): Promise<RpcResponse<typeof orchestratorTaskFile>> {
    const task = await this.store.task(input.taskId);
    const wanted = path.posix.normalize(input.path);
    const changed = (JSON.parse(task.filesChanged) as string[]).some(
      (file) => path.posix.normalize(file) === wanted,
    );
    if (!changed) {
      throw new StewardError(
        'FORBIDDEN',
        `${input.path} is not among the files task ${input.taskId} changed`,
      );
    }
    return this.bus.request(fsFileFetch, { ...input, path: wanted });
  }
}
