import { describe, expect, it } from 'vitest';
import { ThrottledDiagLogger } from './diagnostics.js';

describe('ThrottledDiagLogger', () => {
  function setup(): { logger: ThrottledDiagLogger; lines: string[]; advance: (ms: number) => void } {
    const lines: string[] = [];
    let now = 0;
    const logger = new ThrottledDiagLogger({ warn: (line) => lines.push(line) }, () => now);
    return { logger, lines, advance: (ms) => (now += ms) };
  }

  it('logs a repeated failure once per minute', () => {
    const { logger, lines, advance } = setup();

    logger.error('export failed: %s', 'ECONNREFUSED');
    advance(30_000);
    logger.error('export failed: %s', 'ECONNREFUSED');
    advance(31_000);
    logger.error('export failed: %s', 'ECONNREFUSED');

    expect(lines).toEqual(['export failed: ECONNREFUSED', 'export failed: ECONNREFUSED']);
  });

  it('masks secrets that appear in SDK messages', () => {
    const { logger, lines } = setup();

    logger.warn('request with header Bearer abc.def failed');

    expect(lines).toEqual(['request with header [REDACTED] failed']);
  });

  it('swallows a logger that throws', () => {
    const logger = new ThrottledDiagLogger({
      warn: () => {
        throw new Error('logger down');
      },
    });

    expect(() => logger.error('x')).not.toThrow();
  });
});
