import { Module } from '@nestjs/common';
import { StoreModule } from '../store/store.module.js';
import { FilesController } from './files.controller.js';
import { TaskFileController } from './task-file.controller.js';

@Module({ imports: [StoreModule], controllers: [FilesController, TaskFileController] })
export class FilesModule {}
