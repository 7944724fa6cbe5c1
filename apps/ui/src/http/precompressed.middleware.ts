import { extname } from 'node:path';
import type { NextFunction, Request, Response } from 'express';

/** What the page build compresses beside each file (apps/ui/web/vite.config.ts), best first. */
const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;
const COMPRESSED_TYPES = new Set(['.js', '.css', '.svg']);
const ASSET_PATH = /^\/assets\/[A-Za-z0-9._-]+$/;

/**
 * Serves the page's script and styles as the build compressed them (brotli, else gzip) to a
 * browser that accepts it: a third of the bytes on every cold load, no compression work per
 * request. Anything else, or a file without a compressed copy, falls through to the static files.
 */
export function precompressed(root: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !ASSET_PATH.test(req.path)) return next();
    const type = extname(req.path);
    if (!COMPRESSED_TYPES.has(type)) return next();
    const accepted = String(req.headers['accept-encoding'] ?? '');
    const encodings = ENCODINGS.filter(({ name }) => new RegExp(`\\b${name}\\b`).test(accepted));
    res.vary('Accept-Encoding');
    const attempt = (index: number): void => {
      const encoding = encodings[index];
      if (encoding === undefined) return next();
      res.type(type);
      res.setHeader('Content-Encoding', encoding.name);
      res.sendFile(
        `${req.path}${encoding.suffix}`,
        { root, maxAge: 0, dotfiles: 'deny' },
        (error?: Error) => {
          if (error === undefined || res.headersSent) return;
          res.removeHeader('Content-Encoding');
          res.removeHeader('Content-Type');
          attempt(index + 1);
        },
      );
    };
    attempt(0);
  };
}
