import type { RpcDefinition } from './rpc.js';
import { HEALTH_RPCS } from './rpcs/health.js';
import { FS_RPCS } from './rpcs/fs.js';
import { ORCHESTRATOR_FILE_RPCS } from './rpcs/orchestrator.js';
import { PLUGIN_RPCS } from './rpcs/plugin.js';
import { ORCHESTRATOR_PROJECT_RPCS } from './rpcs/projects.js';
import { ORCHESTRATOR_SETTINGS_RPCS } from './rpcs/settings.js';
import { ORCHESTRATOR_TASK_RPCS } from './rpcs/tasks.js';
import { VM_RPCS } from './rpcs/vm.js';
import { fsRootsBrowse, fsRootsInspect, orchestratorWorkspaceInspect } from './rpcs/workspace.js';

/** Every RPC on the bus. The permission generator and the contract tests walk this list. */
export const ALL_RPCS: readonly RpcDefinition[] = [
  ...Object.values(HEALTH_RPCS),
  fsRootsInspect,
  fsRootsBrowse,
  orchestratorWorkspaceInspect,
  ...FS_RPCS,
  ...ORCHESTRATOR_FILE_RPCS,
  ...ORCHESTRATOR_TASK_RPCS,
  ...ORCHESTRATOR_PROJECT_RPCS,
  ...ORCHESTRATOR_SETTINGS_RPCS,
  ...PLUGIN_RPCS,
  ...VM_RPCS,
];

export function findRpc(subject: string): RpcDefinition | undefined {
  return ALL_RPCS.find((rpc) => rpc.subject === subject);
}
