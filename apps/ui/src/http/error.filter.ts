import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { HTTP_STATUS_BY_CODE, StewardError, type ErrorBody, type ErrorCode } from '@steward/contracts';
import { randomUUID } from 'node:crypto';

const CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'INVALID_INPUT',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'TOO_LARGE',
};

/** Every HTTP failure leaves as the same envelope the bus uses, with a fitting status. */
@Catch()
export class ErrorEnvelopeFilter implements ExceptionFilter {
  private readonly log = new Logger('http');

  catch(error: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (error instanceof StewardError) {
      res.status(HTTP_STATUS_BY_CODE[error.code]).json({ error: error.toBody() });
      return;
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const body: ErrorBody = {
        code: CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_INPUT'),
        message: error.message,
        retryable: status >= 500,
      };
      res.status(status).json({ error: body });
      return;
    }
    const incident = randomUUID().slice(0, 8);
    this.log.error(
      `incident ${incident}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    const body: ErrorBody = {
      code: 'INTERNAL',
      message: `internal error (incident ${incident})`,
      retryable: false,
    };
    res.status(500).json({ error: body });
  }
}
