import { Controller, Inject, type Type } from '@nestjs/common';
import { HEALTH_RPCS, type BusServiceName, type HealthReport } from '@steward/contracts';
import { RpcHandler } from '@steward/messaging';
import { HealthRegistry } from './health.registry.js';

/** The `<prefix>.health.get` handler of one service. */
export function healthControllerFor(service: BusServiceName): Type<unknown> {
  @Controller()
  class HealthController {
    constructor(@Inject(HealthRegistry) private readonly health: HealthRegistry) {}

    @RpcHandler(HEALTH_RPCS[service])
    get(): Promise<HealthReport> {
      return this.health.report();
    }
  }
  return HealthController;
}
