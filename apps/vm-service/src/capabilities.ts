import { defineCapabilities, HEALTH_RPCS } from '@steward/contracts';

export const capabilities = defineCapabilities({
  service: 'vm-service',
  serves: [HEALTH_RPCS['vm-service']],
  calls: [],
  emits: ['events.vm.>'],
  osPowers: ['spawn-processes', 'docker-engine', 'own-database'],
});
