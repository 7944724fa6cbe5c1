import { Module } from '@nestjs/common';
import { AdminController } from './admin.controller.js';
import { SettingsController } from './settings.controller.js';

@Module({ controllers: [SettingsController, AdminController] })
export class SettingsModule {}
