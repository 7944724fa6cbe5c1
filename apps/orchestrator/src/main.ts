import './instrument.js';
import { runService } from '@steward/runtime';
import { FilesModule } from './files/files.module.js';
import { WorkspaceModule } from './workspace/workspace.module.js';

await runService({ service: 'orchestrator', imports: [WorkspaceModule, FilesModule] });
