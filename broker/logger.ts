export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogRecord {
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** One line per record on stderr: `<time> <LEVEL> <message> key=value ...`. */
export function createLogger(
  level: LogLevel = 'info',
  sink: (record: LogRecord) => void = writeLine,
): Logger {
  const log =
    (l: LogLevel) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      if (ORDER[l] >= ORDER[level]) sink({ level: l, message, fields });
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

function writeLine(record: LogRecord): void {
  const fields = Object.entries(record.fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  process.stderr.write(
    `${new Date().toISOString()} ${record.level.toUpperCase()} ${record.message}${fields ? ' ' + fields : ''}\n`,
  );
}

export function isLogLevel(value: string): value is LogLevel {
  return value in ORDER;
}
