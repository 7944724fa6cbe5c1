import './instrument.js';
import { runService } from '@steward/runtime';
import { RootsModule } from './roots/roots.module.js';
import { CreateFsRecords1764000000000 } from './store/fs-records.migration.js';
import { FS_ENTITIES } from './store/fs-records.entity.js';
import { FsToolsModule } from './tools/fs-tools.module.js';

await runService({
  service: 'fs-service',
  imports: [RootsModule, FsToolsModule],
  entities: FS_ENTITIES,
  migrations: [CreateFsRecords1764000000000],
});
