import { StewardError } from '@steward/contracts';
import type { DataSource } from 'typeorm';
import { ServiceStart } from './service-start.entity.js';

export interface ServiceStartInput {
  readonly pid: number;
  readonly version: string;
}

export interface ServiceStartRecord {
  /** How many starts this database has seen, this one included. */
  readonly starts: number;
  readonly startedAt: string;
}

const MAX_VERSION_LENGTH = 256;

/** Appends this start to the ledger and returns the running total for the health report. */
export async function recordServiceStart(
  ds: DataSource,
  start: ServiceStartInput,
): Promise<ServiceStartRecord> {
  if (!Number.isSafeInteger(start.pid) || start.pid <= 0) {
    throw new StewardError('INVALID_INPUT', `pid must be a positive integer, got ${String(start.pid)}`);
  }
  if (
    typeof start.version !== 'string' ||
    start.version.length === 0 ||
    start.version.length > MAX_VERSION_LENGTH
  ) {
    throw new StewardError('INVALID_INPUT', `version must be 1..${MAX_VERSION_LENGTH} characters`);
  }
  const startedAt = new Date().toISOString();
  // Insert and count in one transaction so the figure includes this start and no one else's half-written row.
  const starts = await ds.transaction(async (manager) => {
    const repository = manager.getRepository(ServiceStart);
    await repository.insert({ startedAt, pid: start.pid, version: start.version });
    return repository.count();
  });
  return { starts, startedAt };
}
