import { Module } from '@nestjs/common';
import { ProjectStore } from './project-store.js';
import { ProjectsController } from './projects.controller.js';

@Module({
  controllers: [ProjectsController],
  providers: [ProjectStore],
  exports: [ProjectStore],
})
export class ProjectsModule {}
