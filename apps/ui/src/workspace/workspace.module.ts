import { Module } from '@nestjs/common';
import { FoldersController } from './folders.controller.js';

@Module({ controllers: [FoldersController] })
export class WorkspaceModule {}
