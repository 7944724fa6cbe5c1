import { Body, Controller, Get, HttpCode, Inject, Put } from '@nestjs/common';
import {
  isStewardError,
  orchestratorCredentialsSave,
  orchestratorCredentialsStatus,
  StewardError,
  type RpcResponse,
} from '@steward/contracts';
import { BusClient } from '@steward/messaging';

const apiKeyBodySchema = orchestratorCredentialsSave.request.pick({ apiKey: true });
const REDACTED = '[redacted]';

/**
 * The model API key. It goes to the orchestrator, which keeps it; no answer, error or log line
 * of this process ever carries it: validation errors say what is wrong without quoting the
 * input, and an error from further on is passed on with the key blanked out and no details.
 */
@Controller('api/credentials')
export class CredentialsController {
  constructor(@Inject(BusClient) private readonly bus: BusClient) {}

  /** `{ apiKey }` → 204. */
  @Put('anthropic')
  @HttpCode(204)
  async saveAnthropic(@Body() body: unknown): Promise<void> {
    const parsed = apiKeyBodySchema.safeParse(body);
    if (!parsed.success) {
      throw new StewardError('INVALID_INPUT', 'the request body is not valid', {
        details: parsed.error.issues.map(({ path, code, message }) => ({ path, code, message })),
      });
    }
    const { apiKey } = parsed.data;
    try {
      await this.bus.request(orchestratorCredentialsSave, { provider: 'anthropic', apiKey });
    } catch (error) {
      throw redacted(error, apiKey);
    }
  }

  /** Whether a key is configured and where it comes from; never the key. */
  @Get()
  status(): Promise<RpcResponse<typeof orchestratorCredentialsStatus>> {
    return this.bus.request(orchestratorCredentialsStatus, {});
  }
}

function redacted(error: unknown, secret: string): StewardError {
  if (!isStewardError(error)) return new StewardError('INTERNAL', 'saving the API key failed');
  return new StewardError(error.code, error.message.replaceAll(secret, REDACTED), {
    retryable: error.retryable,
    ...(error.traceId === undefined ? {} : { traceId: error.traceId }),
  });
}
