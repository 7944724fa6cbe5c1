import { defineCapabilities, HEALTH_RPCS, orchestratorWorkspaceInspect } from '@steward/contracts';

export const capabilities = defineCapabilities({
  service: 'ui',
  serves: [],
  calls: [...Object.values(HEALTH_RPCS), orchestratorWorkspaceInspect],
  emits: [],
  osPowers: ['http-listen', 'own-database'],
});
