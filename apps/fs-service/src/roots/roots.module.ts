import { Module } from '@nestjs/common';
import { RootsController } from './roots.controller.js';
import { RootsService } from './roots.service.js';

@Module({ controllers: [RootsController], providers: [RootsService] })
export class RootsModule {}
