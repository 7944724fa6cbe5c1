import {
  defineCapabilities,
  fsRootsInspect,
  HEALTH_RPCS,
  orchestratorWorkspaceInspect,
} from '@steward/contracts';

export const capabilities = defineCapabilities({
  service: 'orchestrator',
  serves: [HEALTH_RPCS.orchestrator, orchestratorWorkspaceInspect],
  calls: [fsRootsInspect],
  emits: ['events.orchestrator.>'],
  osPowers: ['own-database'],
});
