import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import {
  orchestratorTaskUndo,
  orchestratorTrashEmpty,
  orchestratorTrashList,
  orchestratorTrashRestore,
  type RpcResponse,
} from '@steward/contracts';
import { BusClient } from '@steward/messaging';
import { parseBody } from '../http/zod-body.js';

/** Undo of a task's file changes, and the trash, for the page. */
@Controller('api')
export class FilesController {
  constructor(@Inject(BusClient) private readonly bus: BusClient) {}

  /** Body (optional): `{ skipConflicts?, dryRun? }`. */
  @Post('tasks/:id/undo')
  @HttpCode(200)
  undo(@Param('id') id: string, @Body() body: unknown): Promise<RpcResponse<typeof orchestratorTaskUndo>> {
    const options = typeof body === 'object' && body !== null ? body : {};
    return this.bus.request(
      orchestratorTaskUndo,
      parseBody(orchestratorTaskUndo.request, { ...options, taskId: id }),
    );
  }

  @Get('trash')
  trash(@Query('taskId') taskId?: string): Promise<RpcResponse<typeof orchestratorTrashList>> {
    return this.bus.request(
      orchestratorTrashList,
      parseBody(orchestratorTrashList.request, taskId === undefined ? {} : { taskId }),
    );
  }

  @Post('trash/:id/restore')
  @HttpCode(200)
  restore(@Param('id') id: string): Promise<RpcResponse<typeof orchestratorTrashRestore>> {
    return this.bus.request(orchestratorTrashRestore, parseBody(orchestratorTrashRestore.request, { id }));
  }

  /** Body (optional): `{ ids? }`; without ids the whole trash is emptied. */
  @Post('trash/empty')
  @HttpCode(200)
  empty(@Body() body: unknown): Promise<RpcResponse<typeof orchestratorTrashEmpty>> {
    return this.bus.request(orchestratorTrashEmpty, parseBody(orchestratorTrashEmpty.request, body ?? {}));
  }
}
