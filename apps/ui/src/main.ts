import './instrument.js';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadRuntimeConfig, readUiToken } from '@steward/config';
import { runService } from '@steward/runtime';
import { EventsModule } from './events/events.module.js';
import { FilesModule } from './files/files.module.js';
import { HealthModule } from './health/health.module.js';
import { bodyErrors } from './http/body-errors.middleware.js';
import { ErrorEnvelopeFilter } from './http/error.filter.js';
import { httpTracing } from './http/http-tracing.middleware.js';
import { requestGuard } from './http/request-guard.middleware.js';
import { PolicyModule } from './policy/policy.module.js';
import { ProjectsModule } from './projects/projects.module.js';
import { precompressed } from './http/precompressed.middleware.js';
import { publicDir } from './session/session.controller.js';
import { SessionModule } from './session/session.module.js';
import { SettingsModule } from './settings/settings.module.js';
import { TasksModule } from './tasks/tasks.module.js';
import { WorkspaceModule } from './workspace/workspace.module.js';

const token = readUiToken(loadRuntimeConfig().paths);

await runService({
  service: 'ui',
  imports: [
    HealthModule,
    PolicyModule,
    WorkspaceModule,
    FilesModule,
    TasksModule,
    ProjectsModule,
    SettingsModule,
    EventsModule,
    SessionModule.withToken(token),
  ],
  http: async (nest, config) => {
    const app = nest as NestExpressApplication;
    app.disable('x-powered-by');
    // Order matters: refuse foreign or unauthenticated requests before reading their bodies, and
    // start the request's span after body parsing so the handler runs inside its context.
    app.use(requestGuard(config.uiPort, token));
    app.useBodyParser('json', { limit: '1mb' });
    app.use(bodyErrors());
    app.use(httpTracing());
    app.useGlobalFilters(new ErrorEnvelopeFilter());
    app.use(precompressed(publicDir()));
    app.useStaticAssets(publicDir(), { index: false, fallthrough: true, maxAge: 0 });
    await app.listen(config.uiPort, '127.0.0.1');
  },
});
