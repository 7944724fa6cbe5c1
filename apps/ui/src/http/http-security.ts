import { createHash, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'steward_session';

/** Host names a loopback browser uses for us; anything else is DNS rebinding or a proxy. */
export function allowedHosts(port: number): ReadonlySet<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
}

export function allowedOrigins(port: number): ReadonlySet<string> {
  return new Set([...allowedHosts(port)].map((host) => `http://${host}`));
}

/** The cookie holds a digest of the token, so the token itself never sits in a cookie jar. */
export function sessionValue(token: string): string {
  return createHash('sha256').update(`steward-session:${token}`).digest('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
