import { Controller, Inject } from '@nestjs/common';
import {
  orchestratorFailuresList,
  orchestratorSettingsGet,
  orchestratorSettingsUpdate,
  type RpcRequest,
  type RpcResponse,
} from '@steward/contracts';
import { RpcHandler } from '@steward/messaging';
import { SettingsService } from './settings.service.js';
import { TaskStore } from '../store/task-store.js';

const DEFAULT_FAILURES = 20;

/** The bus face of the Settings and Admin views of the page (through ui). */
@Controller()
export class SettingsController {
  constructor(
    @Inject(SettingsService) private readonly settings: SettingsService,
    @Inject(TaskStore) private readonly store: TaskStore,
  ) {}

  @RpcHandler(orchestratorSettingsGet)
  get(): RpcResponse<typeof orchestratorSettingsGet> {
    return this.settings.view();
  }

  @RpcHandler(orchestratorSettingsUpdate)
  update(
    input: RpcRequest<typeof orchestratorSettingsUpdate>,
  ): Promise<RpcResponse<typeof orchestratorSettingsUpdate>> {
    return this.settings.update(input.values);
  }

  @RpcHandler(orchestratorFailuresList)
  async list(
    input: RpcRequest<typeof orchestratorFailuresList>,
  ): Promise<RpcResponse<typeof orchestratorFailuresList>> {
    return { failures: await this.store.failures(input.limit ?? DEFAULT_FAILURES) };
  }
}
