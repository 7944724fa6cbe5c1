import { Body, Controller, Get, Inject, Put } from '@nestjs/common';
import { orchestratorSettingsGet, orchestratorSettingsUpdate, type RpcResponse } from '@steward/contracts';
import { PolicyStore } from '@steward/config';
import { BusClient } from '@steward/messaging';
import { parseBody } from '../http/zod-body.js';

/** The person's settings (settings.json), kept by the orchestrator; managed values are shown locked. */
@Controller('api/settings')
export class SettingsController {
  constructor(
    @Inject(BusClient) private readonly bus: BusClient,
    @Inject(PolicyStore) private readonly policy: PolicyStore,
  ) {}

  @Get()
  get(): Promise<RpcResponse<typeof orchestratorSettingsGet>> {
    return this.bus.request(orchestratorSettingsGet, {});
  }

  /**
   * `{ values: { <key>: value | null } }` → the settings now in force. All or nothing: a refused
   * key answers 400 (INVALID_INPUT) or 403 (DENIED_BY_POLICY) with `details.fields` per key.
   */
  @Put()
  async update(@Body() body: unknown): Promise<RpcResponse<typeof orchestratorSettingsUpdate>> {
    const view = await this.bus.request(
      orchestratorSettingsUpdate,
      parseBody(orchestratorSettingsUpdate.request, body),
    );
    // This process's watcher would see the new file within moments; reading it now keeps
    // GET /api/policy consistent with the answer the page just got.
    await this.policy.reload();
    return view;
  }
}
