import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { UI_TOKEN } from './session.tokens.js';
import { safeEqual, SESSION_COOKIE, sessionValue } from '../http/http-security.js';

@Controller()
export class SessionController {
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
    res.sendFile('index.html', { root: publicDir() });
  }
}

export function publicDir(): string {
  return new URL('../../public', import.meta.url).pathname;
}
