import './instrument.js';
import { runService } from '@steward/runtime';
import { RootsModule } from './roots/roots.module.js';

await runService({ service: 'fs-service', imports: [RootsModule] });
