import { Controller, Inject } from '@nestjs/common';
import { fsFileFetch, type RpcRequest, type RpcResponse } from '@steward/contracts';
import { RpcHandler } from '@steward/messaging';
import { FsAccess } from '../access/fs-access.js';
import { fetchFileChunk } from './file-fetch.js';

/** A file's bytes for the person (open or download), asked for by the orchestrator on their behalf. */
@Controller()
export class FileFetchController {
  constructor(@Inject(FsAccess) private readonly access: FsAccess) {}

  /** The folders a task was opened with still count after it ended, as for undo. */
  @RpcHandler(fsFileFetch)
  async fetch(input: RpcRequest<typeof fsFileFetch>): Promise<RpcResponse<typeof fsFileFetch>> {
    return fetchFileChunk(await this.access.forRecordedTask(input.taskId), input);
  }
}
