export interface BackoffOptions {
  readonly initialMs?: number;
  readonly maxMs?: number;
  readonly factor?: number;
  /** Each delay moves by up to this fraction either way, so restarts of several children spread out. */
  readonly jitter?: number;
  readonly random?: () => number;
}

export const RESTART_BACKOFF: Required<Omit<BackoffOptions, 'random'>> = {
  initialMs: 500,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.2,
};

/** Exponential delays between restarts of one child: 0.5 s, 1 s, 2 s … capped at 30 s. */
export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? RESTART_BACKOFF.initialMs;
    this.maxMs = options.maxMs ?? RESTART_BACKOFF.maxMs;
    this.factor = options.factor ?? RESTART_BACKOFF.factor;
    this.jitter = options.jitter ?? RESTART_BACKOFF.jitter;
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next restart; each call doubles the base until the cap. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    this.attempt += 1;
    const offset = base * this.jitter * (2 * this.random() - 1);
    return Math.round(Math.min(this.maxMs, Math.max(0, base + offset)));
  }

  /** After a child has stayed up long enough its next crash starts from the shortest delay again. */
  reset(): void {
    this.attempt = 0;
  }
}
