import { Controller, Inject } from '@nestjs/common';
import {
  orchestratorCredentialsSave,
  orchestratorCredentialsStatus,
  orchestratorModelCheck,
  orchestratorTaskApprove,
  orchestratorTaskCancel,
  orchestratorTaskCreate,
  orchestratorTaskGet,
  orchestratorTaskList,
  orchestratorTaskMessage,
  type RpcRequest,
  type RpcResponse,
} from '@steward/contracts';
import { RpcHandler } from '@steward/messaging';
import { TaskService } from './task-service.js';

/** The bus face of tasks: what the page (through ui) and the scheduler ask of the orchestrator. */
@Controller()
export class TasksController {
  constructor(@Inject(TaskService) private readonly tasks: TaskService) {}

  @RpcHandler(orchestratorTaskCreate)
  create(
    input: RpcRequest<typeof orchestratorTaskCreate>,
  ): Promise<RpcResponse<typeof orchestratorTaskCreate>> {
    return this.tasks.create(input);
  }

  @RpcHandler(orchestratorTaskList)
  async list(
    input: RpcRequest<typeof orchestratorTaskList>,
  ): Promise<RpcResponse<typeof orchestratorTaskList>> {
    return { tasks: await this.tasks.list(input) };
  }

  @RpcHandler(orchestratorTaskGet)
  get(input: RpcRequest<typeof orchestratorTaskGet>): Promise<RpcResponse<typeof orchestratorTaskGet>> {
    return this.tasks.view(input.taskId);
  }

  @RpcHandler(orchestratorTaskMessage)
  async message(
    input: RpcRequest<typeof orchestratorTaskMessage>,
  ): Promise<RpcResponse<typeof orchestratorTaskMessage>> {
    return { accepted: true, status: await this.tasks.message(input.taskId, input.text) };
  }

  @RpcHandler(orchestratorTaskApprove)
  approve(
    input: RpcRequest<typeof orchestratorTaskApprove>,
  ): Promise<RpcResponse<typeof orchestratorTaskApprove>> {
    return this.tasks.approve(input.taskId, input.approvalId, input.decision, input.remember ?? false);
  }

  @RpcHandler(orchestratorTaskCancel)
  async cancel(
    input: RpcRequest<typeof orchestratorTaskCancel>,
  ): Promise<RpcResponse<typeof orchestratorTaskCancel>> {
    return { status: await this.tasks.cancel(input.taskId) };
  }

  @RpcHandler(orchestratorCredentialsSave)
  save(
    input: RpcRequest<typeof orchestratorCredentialsSave>,
  ): RpcResponse<typeof orchestratorCredentialsSave> {
    this.tasks.saveKey(input.apiKey);
    return { saved: true };
  }

  @RpcHandler(orchestratorModelCheck)
  check(
    input: RpcRequest<typeof orchestratorModelCheck>,
  ): Promise<RpcResponse<typeof orchestratorModelCheck>> {
    return this.tasks.checkModel(input.model);
  }

  @RpcHandler(orchestratorCredentialsStatus)
  status(): RpcResponse<typeof orchestratorCredentialsStatus> {
    return this.tasks.keyStatus();
  }
}
