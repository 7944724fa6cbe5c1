import './instrument.js';
import { runService } from '@steward/runtime';
import { FilesModule } from './files/files.module.js';
import { CreateProjects1764200000000 } from './projects/project.migration.js';
import { ProjectRecord } from './projects/project.entity.js';
import { ProjectsModule } from './projects/projects.module.js';
import { SettingsModule } from './settings/settings.module.js';
import { CreateTasks1764100000000 } from './store/task.migration.js';
import { ORCHESTRATOR_ENTITIES } from './store/task.entities.js';
import { TasksModule } from './tasks/tasks.module.js';
import { WorkspaceModule } from './workspace/workspace.module.js';

await runService({
  service: 'orchestrator',
  imports: [WorkspaceModule, FilesModule, ProjectsModule, TasksModule, SettingsModule],
  entities: [...ORCHESTRATOR_ENTITIES, ProjectRecord],
  migrations: [CreateTasks1764100000000, CreateProjects1764200000000],
});
