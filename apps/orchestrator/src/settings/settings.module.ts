import { Module } from '@nestjs/common';
import { loadModelSettings } from '@steward/config';
import { StoreModule } from '../store/store.module.js';
import { MODEL_SETTINGS } from '../tasks/tokens.js';
import { SettingsController } from './settings.controller.js';
import { SettingsService } from './settings.service.js';

@Module({
  imports: [StoreModule],
  controllers: [SettingsController],
  providers: [
    SettingsService,
    // The same environment TasksModule reads; only the endpoints are shown, never a key.
    { provide: MODEL_SETTINGS, useFactory: () => loadModelSettings() },
  ],
})
export class SettingsModule {}
