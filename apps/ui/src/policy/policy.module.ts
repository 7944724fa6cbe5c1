import { Module } from '@nestjs/common';
import { PolicyController } from './policy.controller.js';

@Module({ controllers: [PolicyController] })
export class PolicyModule {}
