export {
  openDatabase,
  closeDatabase,
  readPragma,
  DEFAULT_BUSY_TIMEOUT_MS,
  type OpenDatabaseOptions,
  type EntityDefinition,
  type MigrationClass,
  type StorageLogger,
} from './database.js';
export { ServiceStart } from './service-start.entity.js';
export { CreateServiceStart1735689600000 } from './service-start.migration.js';
export {
  recordServiceStart,
  type ServiceStartInput,
  type ServiceStartRecord,
} from './service-start.repository.js';
