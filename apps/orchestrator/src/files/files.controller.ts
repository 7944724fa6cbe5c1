import { Controller, Inject } from '@nestjs/common';
import {
  fsTaskUndo,
  fsTrashEmpty,
  fsTrashList,
  fsTrashRestore,
  orchestratorTaskUndo,
  orchestratorTrashEmpty,
  orchestratorTrashList,
  orchestratorTrashRestore,
  type RpcRequest,
  type RpcResponse,
} from '@steward/contracts';
import { BusClient, RpcHandler } from '@steward/messaging';

/**
 * The person's own file actions from the page: undoing a task's changes and the trash. The page may
 * not reach fs-service's file subjects itself; the orchestrator, which holds them, answers for it.
 */
@Controller()
export class FilesController {
  constructor(@Inject(BusClient) private readonly bus: BusClient) {}

  @RpcHandler(orchestratorTaskUndo)
  undo(input: RpcRequest<typeof orchestratorTaskUndo>): Promise<RpcResponse<typeof orchestratorTaskUndo>> {
    return this.bus.request(fsTaskUndo, input);
  }

  @RpcHandler(orchestratorTrashList)
  trash(input: RpcRequest<typeof orchestratorTrashList>): Promise<RpcResponse<typeof orchestratorTrashList>> {
    return this.bus.request(fsTrashList, input);
  }

  @RpcHandler(orchestratorTrashRestore)
  restore(
    input: RpcRequest<typeof orchestratorTrashRestore>,
  ): Promise<RpcResponse<typeof orchestratorTrashRestore>> {
    return this.bus.request(fsTrashRestore, input);
  }

  @RpcHandler(orchestratorTrashEmpty)
  empty(
    input: RpcRequest<typeof orchestratorTrashEmpty>,
  ): Promise<RpcResponse<typeof orchestratorTrashEmpty>> {
    return this.bus.request(fsTrashEmpty, input);
  }
}
