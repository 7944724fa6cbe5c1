import type { NextFunction, Request, Response } from 'express';
import type { ErrorBody } from '@steward/contracts';

/**
 * Body parsing fails before any route runs, so Nest's exception filter never sees it; this turns
 * a malformed or oversized body into the same error envelope every other failure uses.
 */
export function bodyErrors() {
  return (error: unknown, _req: Request, res: Response, next: NextFunction): void => {
    const type = (error as { type?: string } | undefined)?.type;
    if (type === 'entity.parse.failed')
      return send(res, 400, {
        code: 'INVALID_INPUT',
        message: 'the request body is not valid JSON',
        retryable: false,
      });
    if (type === 'entity.too.large')
      return send(res, 413, {
        code: 'TOO_LARGE',
        message: 'the request body is too large',
        retryable: false,
      });
    if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
      return send(res, 415, {
        code: 'INVALID_INPUT',
        message: 'the request body encoding is not supported',
        retryable: false,
      });
    }
    next(error);
  };
}

function send(res: Response, status: number, body: ErrorBody): void {
  res.status(status).json({ error: body });
}
