import './instrument.js';
import { runService } from '@steward/runtime';
import { WorkspaceModule } from './workspace/workspace.module.js';

await runService({ service: 'orchestrator', imports: [WorkspaceModule] });
