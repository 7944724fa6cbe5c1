import { Module } from '@nestjs/common';
import { TaskStore } from '../store/task-store.js';
import { FilesController } from './files.controller.js';
import { TaskFileController } from './task-file.controller.js';

@Module({ controllers: [FilesController, TaskFileController], providers: [TaskStore] })
export class FilesModule {}
