import { Module } from '@nestjs/common';
import { RuntimeProbeService } from './runtime-probe.service.js';
import { SandboxManager } from './sandbox-manager.js';

@Module({ providers: [RuntimeProbeService, SandboxManager], exports: [RuntimeProbeService, SandboxManager] })
export class SandboxModule {}
