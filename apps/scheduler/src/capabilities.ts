import { defineCapabilities, HEALTH_RPCS } from '@steward/contracts';

export const capabilities = defineCapabilities({
  service: 'scheduler',
  serves: [HEALTH_RPCS.scheduler],
  calls: [],
  emits: ['events.scheduler.>'],
  osPowers: ['own-database'],
});
