import { Module } from '@nestjs/common';
import { RuntimeProbeService } from './runtime-probe.service.js';

@Module({ providers: [RuntimeProbeService], exports: [RuntimeProbeService] })
export class SandboxModule {}
