import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { orchestratorWorkspaceInspect, type RpcResponse } from '@steward/contracts';
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
}
