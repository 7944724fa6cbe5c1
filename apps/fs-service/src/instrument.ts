// Imported first by main.ts: telemetry is running before any service code is built.
import { startServiceTelemetry } from '@steward/telemetry';

startServiceTelemetry('fs-service');
