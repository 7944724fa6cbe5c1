import './instrument.js';
import { runService } from '@steward/runtime';
import { FilesModule } from './files/files.module.js';
import { CreateTasks1764100000000 } from './store/task.migration.js';
import { ORCHESTRATOR_ENTITIES } from './store/task.entities.js';
import { TasksModule } from './tasks/tasks.module.js';
import { WorkspaceModule } from './workspace/workspace.module.js';

await runService({
  service: 'orchestrator',
  imports: [WorkspaceModule, FilesModule, TasksModule],
  entities: ORCHESTRATOR_ENTITIES,
  migrations: [CreateTasks1764100000000],
});
