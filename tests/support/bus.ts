import { isStewardError, type ServiceName, type StewardError } from '@steward/contracts';
import { BusClient, connectBus } from '@steward/messaging';
import type { Stack } from './stack.js';

/** A BusClient connected to the stack's nats-server as `service`, with that service's own credentials. */
export async function busAs(stack: Stack, service: ServiceName): Promise<BusClient> {
  const connection = await connectBus(service, stack.credentials(service), 'client');
  return new BusClient(connection, service);
}

/** The StewardError a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function failure(promise: Promise<unknown>): Promise<StewardError> {
  try {
    const value = await promise;
    throw new Error(`expected a StewardError, got a result: ${JSON.stringify(value).slice(0, 500)}`);
  } catch (error) {
    if (isStewardError(error)) return error;
    throw error;
  }
}
