import { fetchPublicHealth, servicesNotOk, type PublicHealth } from './health-client.js';
import { sleep } from '../process/ports.js';

export const HEALTH_TIMEOUT_MS = 90_000;

export interface WaitHealthyOptions {
  readonly port: number;
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Asked between polls; a reason returned ends the wait early (e.g. the supervisor died). */
  readonly giveUp?: () => string | undefined;
}

export type WaitHealthyResult =
  | { readonly ok: true; readonly health: PublicHealth }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly notOk: string[];
      readonly last: PublicHealth | undefined;
    };

/** Polls `GET /api/health` until every service reports ok. */
export async function waitHealthy(options: WaitHealthyOptions): Promise<WaitHealthyResult> {
  const timeoutMs = options.timeoutMs ?? HEALTH_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let last: PublicHealth | undefined;
  for (;;) {
    last = await fetchPublicHealth(options.port);
    if (last !== undefined && last.status === 'ok' && servicesNotOk(last).length === 0)
      return { ok: true, health: last };
    const gaveUp = options.giveUp?.();
    if (gaveUp !== undefined) return { ok: false, reason: gaveUp, notOk: servicesNotOk(last), last };
    if (Date.now() >= deadline) {
      return {
        ok: false,
        reason: `not every service was ok after ${Math.round(timeoutMs / 1000)} s`,
        notOk: servicesNotOk(last),
        last,
      };
    }
    await sleep(options.intervalMs ?? 500);
  }
}
