import { Controller, Inject, type OnModuleDestroy } from '@nestjs/common';
import {
  fsDeletePreview,
  fsDirList,
  fsDirMake,
  fsFileEdit,
  fsFileRead,
  fsFileWrite,
  fsPathDelete,
  fsPathMove,
  fsSearchGlob,
  fsSearchGrep,
  fsTaskChanges,
  fsTaskClose,
  fsTaskOpen,
  fsTaskUndo,
  fsTrashEmpty,
  fsTrashList,
  fsTrashRestore,
  type RpcRequest,
  type RpcResponse,
} from '@steward/contracts';
import { RpcHandler } from '@steward/messaging';
import { FsAccess } from '../access/fs-access.js';
import { closeExtractors } from '../extract/extract-text.js';
import { Journal } from '../journal/journal.js';
import { closeSearchPool } from '../search/search-pool.js';
import { Trash } from '../trash/trash.js';
import { Undo } from '../undo/undo.js';
import { FileChanges } from './file-changes.js';
import { listDirectoryTool } from './list-directory.js';
import { withOpened } from './opened.js';
import { PathOps } from './path-ops.js';
import { readFileTool } from './read-file.js';
import { globTool, grepTool } from './search.js';

/** The bus face of fs-service: every request is checked against its task's folders first. */
@Controller()
export class FsToolsController implements OnModuleDestroy {
  constructor(
    @Inject(FsAccess) private readonly access: FsAccess,
    @Inject(FileChanges) private readonly files: FileChanges,
    @Inject(PathOps) private readonly paths: PathOps,
    @Inject(Journal) private readonly journal: Journal,
    @Inject(Trash) private readonly trash: Trash,
    @Inject(Undo) private readonly undoer: Undo,
  ) {}

  async onModuleDestroy(): Promise<void> {
    await Promise.all([closeSearchPool(), closeExtractors()]);
  }

  @RpcHandler(fsTaskOpen)
  async openTask(input: RpcRequest<typeof fsTaskOpen>): Promise<RpcResponse<typeof fsTaskOpen>> {
    return { taskId: input.taskId, roots: await this.access.openTask(input.taskId, input.folders) };
  }

  @RpcHandler(fsTaskClose)
  async closeTask(input: RpcRequest<typeof fsTaskClose>): Promise<RpcResponse<typeof fsTaskClose>> {
    return { closed: await this.access.closeTask(input.taskId) };
  }

  @RpcHandler(fsDirList)
  async list(input: RpcRequest<typeof fsDirList>): Promise<RpcResponse<typeof fsDirList>> {
    return listDirectoryTool(await this.access.forTask(input.taskId), input);
  }

  @RpcHandler(fsFileRead)
  async read(input: RpcRequest<typeof fsFileRead>): Promise<RpcResponse<typeof fsFileRead>> {
    return readFileTool(await this.access.forTask(input.taskId), input);
  }

  @RpcHandler(fsFileWrite)
  async write(input: RpcRequest<typeof fsFileWrite>): Promise<RpcResponse<typeof fsFileWrite>> {
    return this.files.write(await this.access.forTask(input.taskId), input.path, input.content);
  }

  @RpcHandler(fsFileEdit)
  async edit(input: RpcRequest<typeof fsFileEdit>): Promise<RpcResponse<typeof fsFileEdit>> {
    return this.files.edit(await this.access.forTask(input.taskId), input);
  }

  @RpcHandler(fsSearchGlob)
  async glob(input: RpcRequest<typeof fsSearchGlob>): Promise<RpcResponse<typeof fsSearchGlob>> {
    return globTool(await this.access.forTask(input.taskId), input);
  }

  @RpcHandler(fsSearchGrep)
  async grep(input: RpcRequest<typeof fsSearchGrep>): Promise<RpcResponse<typeof fsSearchGrep>> {
    return grepTool(await this.access.forTask(input.taskId), input);
  }

  @RpcHandler(fsDirMake)
  async makeDirectory(input: RpcRequest<typeof fsDirMake>): Promise<RpcResponse<typeof fsDirMake>> {
    return this.files.makeDirectory(await this.access.forTask(input.taskId), input.path);
  }

  @RpcHandler(fsPathMove)
  async move(input: RpcRequest<typeof fsPathMove>): Promise<RpcResponse<typeof fsPathMove>> {
    return this.paths.move(await this.access.forTask(input.taskId), input);
  }

  @RpcHandler(fsDeletePreview)
  async previewDelete(
    input: RpcRequest<typeof fsDeletePreview>,
  ): Promise<RpcResponse<typeof fsDeletePreview>> {
    return this.paths.preview(await this.access.forTask(input.taskId), input.path);
  }

  @RpcHandler(fsPathDelete)
  async delete(input: RpcRequest<typeof fsPathDelete>): Promise<RpcResponse<typeof fsPathDelete>> {
    return this.paths.delete(await this.access.forTask(input.taskId), input.path, input.approval);
  }

  @RpcHandler(fsTaskChanges)
  async changes(input: RpcRequest<typeof fsTaskChanges>): Promise<RpcResponse<typeof fsTaskChanges>> {
    return this.journal.changes(input.taskId);
  }

  @RpcHandler(fsTaskUndo)
  async undo(input: RpcRequest<typeof fsTaskUndo>): Promise<RpcResponse<typeof fsTaskUndo>> {
    return this.undoer.undo(input);
  }

  @RpcHandler(fsTrashList)
  async trashList(input: RpcRequest<typeof fsTrashList>): Promise<RpcResponse<typeof fsTrashList>> {
    return this.trash.list(input.taskId);
  }

  @RpcHandler(fsTrashRestore)
  async trashRestore(input: RpcRequest<typeof fsTrashRestore>): Promise<RpcResponse<typeof fsTrashRestore>> {
    const record = await this.trash.get(input.id);
    const access = this.access.forRoot(record.root);
    await withOpened(access, record.originalPath, { kind: 'entry', createParents: true }, (opened) =>
      this.trash.moveOut(record, opened),
    );
    return { path: record.originalPath };
  }

  @RpcHandler(fsTrashEmpty)
  async trashEmpty(input: RpcRequest<typeof fsTrashEmpty>): Promise<RpcResponse<typeof fsTrashEmpty>> {
    return this.trash.empty(input.ids);
  }
}
