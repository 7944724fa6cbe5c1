import { Module } from '@nestjs/common';
import { CredentialsController } from './credentials.controller.js';
import { SSE_HEARTBEAT_MS, TaskEventsController } from './task-events.controller.js';
import { TaskEventSource } from './task-event-source.service.js';
import { TasksController } from './tasks.controller.js';

@Module({
  controllers: [TasksController, TaskEventsController, CredentialsController],
  providers: [TaskEventSource, { provide: SSE_HEARTBEAT_MS, useValue: 15_000 }],
})
export class TasksModule {}
