export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface SupervisorLog {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

type Level = 'info' | 'warn' | 'error';

function build(write: (level: Level, message: string, fields: LogFields) => void): SupervisorLog {
  return {
    info: (message, fields = {}) => write('info', message, fields),
    warn: (message, fields = {}) => write('warn', message, fields),
    error: (message, fields = {}) => write('error', message, fields),
  };
}

/** JSON lines, like the services' logs: what the background supervisor writes to supervisor.log. */
export function jsonLog(stream: NodeJS.WritableStream = process.stdout): SupervisorLog {
  return build((level, message, fields) => {
    stream.write(
      `${JSON.stringify({ time: new Date().toISOString(), level, context: 'supervisor', message, ...fields })}\n`,
    );
  });
}

/** Short lines for a person watching `steward up` in the foreground. */
export function consoleLog(stream: NodeJS.WritableStream = process.stderr): SupervisorLog {
  return build((level, message) => {
    stream.write(`[supervisor]${level === 'info' ? '' : ` ${level}:`} ${message}\n`);
  });
}
