import { Controller, Inject } from '@nestjs/common';
import { fsRootsInspect, type RpcRequest, type RpcResponse } from '@steward/contracts';
import { RpcHandler } from '@steward/messaging';
import { RootsService } from './roots.service.js';

@Controller()
export class RootsController {
  constructor(@Inject(RootsService) private readonly roots: RootsService) {}

  @RpcHandler(fsRootsInspect)
  async inspect(input: RpcRequest<typeof fsRootsInspect>): Promise<RpcResponse<typeof fsRootsInspect>> {
    return { folders: await Promise.all(input.folders.map((folder) => this.roots.inspect(folder))) };
  }
}
