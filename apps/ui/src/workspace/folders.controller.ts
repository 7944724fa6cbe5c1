import { Body, Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { fsRootsBrowse, orchestratorWorkspaceInspect, type RpcResponse } from '@steward/contracts';
import { BusClient } from '@steward/messaging';
import { parseBody } from '../http/zod-body.js';

@Controller('api/folders')
export class FoldersController {
  constructor(@Inject(BusClient) private readonly bus: BusClient) {}

  /** Checks folders before a task starts in them (the orchestrator asks fs-service). */
  @Post('inspect')
  @HttpCode(200)
  inspect(@Body() body: unknown): Promise<RpcResponse<typeof orchestratorWorkspaceInspect>> {
    const input = parseBody(orchestratorWorkspaceInspect.request, body);
    return this.bus.request(orchestratorWorkspaceInspect, input);
  }

  /**
   * `?path=` (optional): the subfolders the folder dialog offers. Names of folders only, within what
   * policy lets a person connect; fs-service answers, as it alone looks at the disk.
   */
  @Get('browse')
  browse(@Query('path') path?: unknown): Promise<RpcResponse<typeof fsRootsBrowse>> {
    const input = parseBody(fsRootsBrowse.request, path === undefined || path === '' ? {} : { path });
    return this.bus.request(fsRootsBrowse, input);
  }
}
