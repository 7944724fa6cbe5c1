import { defineCapabilities, HEALTH_RPCS } from '@steward/contracts';

export const capabilities = defineCapabilities({
  service: 'plugin-host',
  serves: [HEALTH_RPCS['plugin-host']],
  calls: [],
  emits: ['events.plugin.>'],
  osPowers: ['spawn-processes', 'own-database'],
});
