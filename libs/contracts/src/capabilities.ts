import type { RpcDefinition } from './rpc.js';
import type { ServiceName } from './services.js';

/** Powers of the operating system a process may hold. Lint and tests keep each where it belongs. */
export const OS_POWERS = [
  /** Reads and writes the folders a person connected. Only fs-service. */
  'user-files',
  /** Spawns child processes. Only vm-service (sandboxes) and plugin-host (plugins, MCP servers). */
  'spawn-processes',
  /** Talks to the Docker engine. Only vm-service. */
  'docker-engine',
  /** Listens on HTTP for people. Only ui. */
  'http-listen',
  /** Its own SQLite file under $STEWARD_HOME/data. Every service. */
  'own-database',
] as const;
export type OsPower = (typeof OS_POWERS)[number];

/** What a service serves, calls and may do: the one page that says what a process is allowed. */
export interface Capabilities {
  readonly service: ServiceName;
  readonly serves: readonly RpcDefinition[];
  readonly calls: readonly RpcDefinition[];
  /** Event subjects it publishes (patterns). */
  readonly emits: readonly string[];
  readonly osPowers: readonly OsPower[];
}

export function defineCapabilities(capabilities: Capabilities): Capabilities {
  for (const rpc of capabilities.serves) {
    if (rpc.server !== capabilities.service) {
      throw new Error(`${capabilities.service} lists ${rpc.subject}, which ${rpc.server} serves`);
    }
  }
  for (const rpc of capabilities.calls) {
    if (!rpc.callers.includes(capabilities.service)) {
      throw new Error(`${capabilities.service} calls ${rpc.subject} but is not among its callers`);
    }
  }
  return Object.freeze(capabilities);
}
