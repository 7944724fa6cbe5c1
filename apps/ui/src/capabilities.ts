import {
  defineCapabilities,
  fsRootsBrowse,
  HEALTH_RPCS,
  ORCHESTRATOR_FILE_RPCS,
  ORCHESTRATOR_PROJECT_RPCS,
  ORCHESTRATOR_SETTINGS_RPCS,
  ORCHESTRATOR_TASK_RPCS,
  orchestratorWorkspaceInspect,
} from '@steward/contracts';

export const capabilities = defineCapabilities({
  service: 'ui',
  serves: [],
  calls: [
    ...Object.values(HEALTH_RPCS),
    fsRootsBrowse,
    orchestratorWorkspaceInspect,
    ...ORCHESTRATOR_FILE_RPCS,
    ...ORCHESTRATOR_TASK_RPCS,
    ...ORCHESTRATOR_PROJECT_RPCS,
    ...ORCHESTRATOR_SETTINGS_RPCS,
  ],
  emits: [],
  osPowers: ['http-listen', 'own-database'],
});
