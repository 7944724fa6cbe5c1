import { Module } from '@nestjs/common';
import { FsAccess } from '../access/fs-access.js';
import { Journal } from '../journal/journal.js';
import { Trash } from '../trash/trash.js';
import { Undo } from '../undo/undo.js';
import { FileChanges } from './file-changes.js';
import { FileFetchController } from './file-fetch.controller.js';
import { FsToolsController } from './fs-tools.controller.js';
import { PathOps } from './path-ops.js';

@Module({
  controllers: [FsToolsController, FileFetchController],
  providers: [FsAccess, Journal, Trash, FileChanges, PathOps, Undo],
})
export class FsToolsModule {}
