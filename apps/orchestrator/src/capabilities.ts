import {
  defineCapabilities,
  FS_RPCS,
  fsRootsInspect,
  HEALTH_RPCS,
  ORCHESTRATOR_FILE_RPCS,
  ORCHESTRATOR_PROJECT_RPCS,
  ORCHESTRATOR_SETTINGS_RPCS,
  ORCHESTRATOR_TASK_RPCS,
  orchestratorWorkspaceInspect,
  PLUGIN_RPCS,
  VM_RPCS,
} from '@steward/contracts';

export const capabilities = defineCapabilities({
  service: 'orchestrator',
  serves: [
    HEALTH_RPCS.orchestrator,
    orchestratorWorkspaceInspect,
    ...ORCHESTRATOR_FILE_RPCS,
    ...ORCHESTRATOR_TASK_RPCS,
    ...ORCHESTRATOR_PROJECT_RPCS,
    ...ORCHESTRATOR_SETTINGS_RPCS,
  ],
  // Every file, sandbox and plugin RPC the orchestrator is a declared caller of.
  calls: [
    fsRootsInspect,
    ...[...FS_RPCS, ...VM_RPCS, ...PLUGIN_RPCS].filter((rpc) => rpc.callers.includes('orchestrator')),
  ],
  emits: ['events.orchestrator.>'],
  osPowers: ['own-database'],
});
