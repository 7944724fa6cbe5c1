import { Module } from '@nestjs/common';
import { loadModelSettings, ModelKeyStore, type ModelSettings, type RuntimeConfig } from '@steward/config';
import { RUNTIME_CONFIG } from '@steward/runtime';
import { TaskEvents } from '../events/task-events.js';
import { AnthropicProvider } from '../model/anthropic-provider.js';
import { ModelRouter } from '../model/model-router.js';
import type { ModelProvider } from '../model/model-types.js';
import { OpenAiProvider } from '../model/openai-provider.js';
import { ProjectsModule } from '../projects/projects.module.js';
import { StoreModule } from '../store/store.module.js';
import { ToolExecutor } from '../tools/tool-executor.js';
import { TaskService } from './task-service.js';
import { TasksController } from './tasks.controller.js';
import { MODEL_KEYS, MODEL_ROUTER, MODEL_SETTINGS } from './tokens.js';

@Module({
  imports: [ProjectsModule, StoreModule],
  controllers: [TasksController],
  providers: [
    TaskEvents,
    ToolExecutor,
    TaskService,
    { provide: MODEL_SETTINGS, useFactory: () => loadModelSettings() },
    {
      provide: MODEL_KEYS,
      inject: [RUNTIME_CONFIG],
      useFactory: (config: RuntimeConfig) => new ModelKeyStore(config.paths),
    },
    {
      provide: MODEL_ROUTER,
      inject: [MODEL_SETTINGS, MODEL_KEYS],
      useFactory: (settings: ModelSettings, keys: ModelKeyStore) => {
        const providers = new Map<string, ModelProvider>([
          [
            'anthropic',
            new AnthropicProvider({ apiKey: () => keys.anthropic().key, baseURL: settings.anthropicBaseUrl }),
          ],
        ]);
        if (settings.openaiBaseUrl !== undefined) {
          providers.set(
            'openai',
            new OpenAiProvider({ baseURL: settings.openaiBaseUrl, apiKey: () => keys.openai() }),
          );
        }
        return new ModelRouter(providers);
      },
    },
  ],
})
export class TasksModule {}
