import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module.js';
import { CommandOutputController } from './command-output.controller.js';
import { CommandOutputBuffer } from './command-output.service.js';
import { CredentialsController } from './credentials.controller.js';
import { ModelsController } from './models.controller.js';
import { SSE_HEARTBEAT_MS, TaskEventsController } from './task-events.controller.js';
import { TaskEventSource } from './task-event-source.service.js';
import { TasksController } from './tasks.controller.js';

@Module({
  imports: [EventsModule],
  controllers: [
    TasksController,
    TaskEventsController,
    CommandOutputController,
    CredentialsController,
    ModelsController,
  ],
  providers: [TaskEventSource, CommandOutputBuffer, { provide: SSE_HEARTBEAT_MS, useValue: 15_000 }],
})
export class TasksModule {}
