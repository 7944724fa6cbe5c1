import { Controller, Get, Inject, Logger, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { UI_TOKEN } from './session.tokens.js';
import { safeEqual, SESSION_COOKIE, sessionValue } from '../http/http-security.js';

@Controller()
export class SessionController {
  private readonly log = new Logger('session');

  constructor(@Inject(UI_TOKEN) private readonly token: string) {}

  /**
   * `/?token=…` (the address `steward up` prints) trades the token for an HttpOnly, SameSite
   * session cookie and redirects to a clean address, so the token leaves the address bar.
   */
  @Get()
  enter(@Query('token') token: string | undefined, @Res() res: Response): void {
    if (token !== undefined) {
      if (!safeEqual(token, this.token)) {
        res
          .status(401)
          .type('text/plain')
          .send('This link is not valid any more. Run `steward up` to get a fresh one.');
        return;
      }
      res.cookie(SESSION_COOKIE, sessionValue(this.token), { httpOnly: true, sameSite: 'strict', path: '/' });
      res.redirect(303, '/');
      return;
    }
    this.page(res);
  }

  /** The page's own addresses (a task's link, a reload on it) load the page, which routes itself. */
  @Get('tasks/:id')
  task(@Res() res: Response): void {
    this.page(res);
  }

  @Get(['settings', 'admin', 'projects', 'projects/:id'])
  view(@Res() res: Response): void {
    this.page(res);
  }

  private page(res: Response): void {
    res.sendFile('index.html', { root: publicDir() }, (error?: Error) => {
      if (error === undefined || res.headersSent) return;
      this.log.error(`the page cannot be sent: ${error.message}`);
      res
        .status(503)
        .type('text/plain')
        .send('The page is not built. Run `npm run build` in the Steward checkout, then reload.');
    });
  }
}

export function publicDir(): string {
  return new URL('../../public', import.meta.url).pathname;
}
