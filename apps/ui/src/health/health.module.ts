import { Module } from '@nestjs/common';
import { HealthController } from './health.controller.js';
import { StackHealthService } from './stack-health.service.js';

@Module({ controllers: [HealthController], providers: [StackHealthService] })
export class HealthModule {}
