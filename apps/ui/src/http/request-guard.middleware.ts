import type { NextFunction, Request, Response } from 'express';
import type { ErrorBody } from '@steward/contracts';
import {
  allowedHosts,
  allowedOrigins,
  CONTENT_SECURITY_POLICY,
  readCookie,
  safeEqual,
  SESSION_COOKIE,
  sessionValue,
} from './http-security.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const PUBLIC_API = new Set(['/api/health']);

/**
 * Every HTTP request passes here first: a Host that is not our loopback name (DNS rebinding), a
 * state-changing request from a foreign Origin or a cross-site fetch (CSRF), and an API call
 * without the token or the session cookie are refused before any route runs.
 */
export function requestGuard(port: number, token: string) {
  const hosts = allowedHosts(port);
  const origins = allowedOrigins(port);
  const session = sessionValue(token);

  return (req: Request, res: Response, next: NextFunction): void => {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');

    if (!hosts.has(req.headers.host ?? '')) {
      return refuse(res, 403, 'FORBIDDEN', 'this address is not served here; open Steward on 127.0.0.1');
    }
    const origin = req.headers.origin;
    if (!SAFE_METHODS.has(req.method)) {
      if (origin !== undefined && !origins.has(origin)) {
        return refuse(res, 403, 'FORBIDDEN', 'cross-origin requests are refused');
      }
      if (origin === undefined && req.headers['sec-fetch-site'] === 'cross-site') {
        return refuse(res, 403, 'FORBIDDEN', 'cross-site requests are refused');
      }
    }
    if (req.path.startsWith('/api/') && !PUBLIC_API.has(req.path)) {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
      const ok =
        (bearer !== undefined && safeEqual(bearer, token)) ||
        (cookie !== undefined && safeEqual(cookie, session));
      if (!ok)
        return refuse(
          res,
          401,
          'UNAUTHORIZED',
          'a valid token is required (see the address `steward up` printed)',
        );
    }
    next();
  };
}

function refuse(res: Response, status: number, code: ErrorBody['code'], message: string): void {
  const body: { error: ErrorBody } = { error: { code, message, retryable: false } };
  res.status(status).json(body);
}
