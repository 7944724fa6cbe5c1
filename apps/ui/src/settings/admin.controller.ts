import { Controller, Get, Inject, Query } from '@nestjs/common';
import { orchestratorFailuresList, type RpcResponse } from '@steward/contracts';
import { BusClient } from '@steward/messaging';
import { z } from 'zod';
import { parseAddress } from '../tasks/task-input.js';

const failuresQuerySchema = z
  .object({
    limit: z
      .string()
      .regex(/^\d{1,3}$/, 'a whole number')
      .transform(Number)
      .optional(),
  })
  .strict();

/** What the admin view needs beyond /api/policy and /api/health/details. */
@Controller('api/admin')
export class AdminController {
  constructor(@Inject(BusClient) private readonly bus: BusClient) {}

  /** Tasks that failed or were interrupted, most recent first (`?limit=`, at most 100). */
  @Get('failures')
  failures(@Query() query: unknown): Promise<RpcResponse<typeof orchestratorFailuresList>> {
    const filters = parseAddress(failuresQuerySchema, query, 'the query');
    return this.bus.request(
      orchestratorFailuresList,
      parseAddress(orchestratorFailuresList.request, filters, 'the query'),
    );
  }
}
