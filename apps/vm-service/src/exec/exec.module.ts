import { Module } from '@nestjs/common';
import { SandboxModule } from '../sandbox/sandbox.module.js';
import { ExecController } from './exec.controller.js';

@Module({ imports: [SandboxModule], controllers: [ExecController] })
export class ExecModule {}
