import { defineCapabilities, FS_RPCS, fsRootsBrowse, fsRootsInspect, HEALTH_RPCS } from '@steward/contracts';

export const capabilities = defineCapabilities({
  service: 'fs-service',
  serves: [HEALTH_RPCS['fs-service'], fsRootsInspect, fsRootsBrowse, ...FS_RPCS],
  calls: [],
  emits: ['events.fs.>'],
  osPowers: ['user-files', 'own-database'],
});
