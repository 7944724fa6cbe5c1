import { Module } from '@nestjs/common';
import { TaskStore } from './task-store.js';

/** One TaskStore for the whole orchestrator: one set of prepared statements on its one connection. */
@Module({ providers: [TaskStore], exports: [TaskStore] })
export class StoreModule {}
