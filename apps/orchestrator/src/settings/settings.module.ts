import { Module } from '@nestjs/common';
import { loadModelSettings } from '@steward/config';
import { MODEL_SETTINGS } from '../tasks/tokens.js';
import { SettingsController } from './settings.controller.js';
import { SettingsService } from './settings.service.js';
import { TaskFailuresRepository } from './task-failures.repository.js';

@Module({
  controllers: [SettingsController],
  providers: [
    SettingsService,
    TaskFailuresRepository,
    // The same environment TasksModule reads; only the endpoints are shown, never a key.
    { provide: MODEL_SETTINGS, useFactory: () => loadModelSettings() },
  ],
})
export class SettingsModule {}
