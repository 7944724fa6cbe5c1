import { SERVICE_NAMES } from '@steward/contracts';
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

/**
 * A service that answers but stays degraded this long (a machine without a sandbox runtime, a
 * managed policy that fails closed) is running as well as it will: waiting longer changes nothing.
 */
export const DEGRADED_SETTLE_MS = 5_000;

export type WaitHealthyResult =
  | { readonly ok: true; readonly health: PublicHealth; readonly degraded: readonly string[] }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly notOk: string[];
      readonly last: PublicHealth | undefined;
    };

/**
 * Polls `GET /api/health` until every service reports ok — or until every service answers, none is
 * down, and the same ones have stayed degraded for DEGRADED_SETTLE_MS.
 */
export async function waitHealthy(options: WaitHealthyOptions): Promise<WaitHealthyResult> {
  const timeoutMs = options.timeoutMs ?? HEALTH_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  let last: PublicHealth | undefined;
  let degradedKey = '';
  let degradedSince = 0;
  for (;;) {
    last = await fetchPublicHealth(options.port);
    if (last !== undefined && last.status === 'ok' && servicesNotOk(last).length === 0)
      return { ok: true, health: last, degraded: [] };
    const degraded = last === undefined ? [] : settledDegraded(last);
    const key = degraded.join(',');
    if (key !== degradedKey) {
      degradedKey = key;
      degradedSince = Date.now();
    } else if (
      last !== undefined &&
      degraded.length > 0 &&
      Date.now() - degradedSince >= DEGRADED_SETTLE_MS
    ) {
      return { ok: true, health: last, degraded };
    }
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

/** The degraded services, when every service answered and none is down; else none. */
function settledDegraded(health: PublicHealth): string[] {
  const statuses = SERVICE_NAMES.map((name) => health.services[name]?.status);
  if (statuses.some((status) => status === undefined || status === 'down')) return [];
  return SERVICE_NAMES.filter((name) => health.services[name]?.status === 'degraded');
}
