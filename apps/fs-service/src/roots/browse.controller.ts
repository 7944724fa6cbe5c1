import { Controller, Inject } from '@nestjs/common';
import { fsRootsBrowse, type RpcRequest, type RpcResponse } from '@steward/contracts';
import { RpcHandler } from '@steward/messaging';
import { FolderBrowser } from './folder-browser.service.js';

/** The page's folder dialog: which folders a person may pick from. */
@Controller()
export class BrowseController {
  constructor(@Inject(FolderBrowser) private readonly browser: FolderBrowser) {}

  @RpcHandler(fsRootsBrowse)
  browse(input: RpcRequest<typeof fsRootsBrowse>): Promise<RpcResponse<typeof fsRootsBrowse>> {
    return this.browser.browse(input.path);
  }
}
