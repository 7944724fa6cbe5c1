import {
  defineCapabilities,
  fsRootsInspect,
  fsTaskUndo,
  fsTrashEmpty,
  fsTrashList,
  fsTrashRestore,
  HEALTH_RPCS,
  ORCHESTRATOR_FILE_RPCS,
  orchestratorWorkspaceInspect,
} from '@steward/contracts';

export const capabilities = defineCapabilities({
  service: 'orchestrator',
  serves: [HEALTH_RPCS.orchestrator, orchestratorWorkspaceInspect, ...ORCHESTRATOR_FILE_RPCS],
  calls: [fsRootsInspect, fsTaskUndo, fsTrashList, fsTrashRestore, fsTrashEmpty],
  emits: ['events.orchestrator.>'],
  osPowers: ['own-database'],
});
