import { format } from 'node:util';
import type { DiagLogger } from '@opentelemetry/api';
import { redactSecrets } from './redaction.js';

/** Where telemetry reports its own trouble (collector down, port taken). Never throws into the caller. */
export interface TelemetryLogger {
  warn(message: string): void;
}

export const stderrLogger: TelemetryLogger = {
  warn(message) {
    process.stderr.write(`@steward/telemetry: ${message}\n`);
  },
};

/** A collector that stays down fails every batch; one line per distinct failure per minute is enough to notice. */
const REPEAT_WINDOW_MS = 60_000;
/** Messages that embed ids or counts never repeat exactly; forgetting them bounds the memory this costs. */
const MAX_REMEMBERED = 256;

/**
 * Routes the SDK's own warnings and errors (export failures included) to the telemetry logger,
 * throttled and with secrets masked, so a failing exporter is visible but never noisy or thrown.
 */
export class ThrottledDiagLogger implements DiagLogger {
  private readonly lastLogged = new Map<string, number>();

  constructor(
    private readonly logger: TelemetryLogger,
    private readonly now: () => number = Date.now,
  ) {}

  error(message: string, ...args: unknown[]): void {
    this.emit(message, args);
  }

  warn(message: string, ...args: unknown[]): void {
    this.emit(message, args);
  }

  info(): void {}

  debug(): void {}

  verbose(): void {}

  private emit(message: string, args: unknown[]): void {
    const text = redactSecrets(format(message, ...args));
    const time = this.now();
    const previous = this.lastLogged.get(text);
    if (previous !== undefined && time - previous < REPEAT_WINDOW_MS) return;
    if (this.lastLogged.size >= MAX_REMEMBERED) this.lastLogged.clear();
    this.lastLogged.set(text, time);
    try {
      this.logger.warn(text);
    } catch {
      // A broken logger must not turn a telemetry hiccup into an application error.
    }
  }
}
