export { runService, type ServiceOptions, type RunningService } from './run-service.js';
export { HealthRegistry, type HealthCheck, type CheckResult } from './health.registry.js';
export { DATABASE, RUNTIME_CONFIG, SERVICE_NAME } from './runtime.tokens.js';
