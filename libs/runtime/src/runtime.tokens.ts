/** Injection tokens for what the runtime hands every service module. */
export const RUNTIME_CONFIG = Symbol('steward.runtime-config');
export const SERVICE_NAME = Symbol('steward.service-name');
/** The service's own TypeORM DataSource. */
export const DATABASE = Symbol('steward.database');
