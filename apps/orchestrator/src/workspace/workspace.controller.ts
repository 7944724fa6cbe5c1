import { Controller, Inject } from '@nestjs/common';
import { orchestratorWorkspaceInspect, type RpcRequest, type RpcResponse } from '@steward/contracts';
import { RpcHandler } from '@steward/messaging';
import { WorkspaceService } from './workspace.service.js';

@Controller()
export class WorkspaceController {
  constructor(@Inject(WorkspaceService) private readonly workspace: WorkspaceService) {}

  @RpcHandler(orchestratorWorkspaceInspect)
  inspect(
    input: RpcRequest<typeof orchestratorWorkspaceInspect>,
  ): Promise<RpcResponse<typeof orchestratorWorkspaceInspect>> {
    return this.workspace.inspect(input.folders);
  }
}
