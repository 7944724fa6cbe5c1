import { Controller, Get, Inject } from '@nestjs/common';
import { PolicyStore, type EffectivePolicy } from '@steward/config';

@Controller('api/policy')
export class PolicyController {
  constructor(@Inject(PolicyStore) private readonly policy: PolicyStore) {}

  /** The policy in force, where each value came from, and any managed source that failed closed. */
  @Get()
  get(): EffectivePolicy {
    return this.policy.current;
  }
}
