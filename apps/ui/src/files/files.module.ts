import { Module } from '@nestjs/common';
import { FilesController } from './files.controller.js';
import { TaskFileController } from './task-file.controller.js';

@Module({ controllers: [FilesController, TaskFileController] })
export class FilesModule {}
