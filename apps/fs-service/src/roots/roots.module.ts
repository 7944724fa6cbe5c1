import { Module } from '@nestjs/common';
import { BrowseController } from './browse.controller.js';
import { FolderBrowser } from './folder-browser.service.js';
import { RootsController } from './roots.controller.js';
import { RootsService } from './roots.service.js';

@Module({ controllers: [RootsController, BrowseController], providers: [RootsService, FolderBrowser] })
export class RootsModule {}
