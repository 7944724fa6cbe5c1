import { defineCapabilities, HEALTH_RPCS, VM_RPCS } from '@steward/contracts';

export const capabilities = defineCapabilities({
  service: 'vm-service',
  serves: [HEALTH_RPCS['vm-service'], ...VM_RPCS],
  calls: [],
  emits: ['events.vm.>'],
  osPowers: ['spawn-processes', 'docker-engine', 'own-database'],
});
