import { Controller, Get, Inject } from '@nestjs/common';
import { StackHealthService, type StackHealth } from './stack-health.service.js';

@Controller('api/health')
export class HealthController {
  constructor(@Inject(StackHealthService) private readonly health: StackHealthService) {}

  /** Public (no token): says whether the stack is up, never what it holds. */
  @Get()
  async get(): Promise<
    Pick<StackHealth, 'status' | 'sandbox' | 'checkedAt'> & { services: Record<string, { status: string }> }
  > {
    const full = await this.health.check();
    const services = Object.fromEntries(
      Object.entries(full.services).map(([name, s]) => [name, { status: s.status }]),
    );
    return { status: full.status, services, sandbox: full.sandbox, checkedAt: full.checkedAt };
  }

  /** With the token: each service's checks, versions and uptime, for the admin view. */
  @Get('details')
  details(): Promise<StackHealth> {
    return this.health.check();
  }
}
