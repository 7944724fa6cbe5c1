import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { orchestratorModelCheck, type RpcResponse } from '@steward/contracts';
import { BusClient } from '@steward/messaging';
import { parseBody } from '../http/zod-body.js';

/** Models for the page's composer. */
@Controller('api/models')
export class ModelsController {
  constructor(@Inject(BusClient) private readonly bus: BusClient) {}

  /**
   * `{ model }` → `{ model, toolUse, detail }`: asks the model one question that needs a tool, so
   * a model typed in the composer is known to work before a task depends on it.
   */
  @Post('check')
  @HttpCode(200)
  check(@Body() body: unknown): Promise<RpcResponse<typeof orchestratorModelCheck>> {
    return this.bus.request(orchestratorModelCheck, parseBody(orchestratorModelCheck.request, body));
  }
}
