import { toAIFlowError } from '../protocol/errors.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** `json`: one JSON object per line, for log collectors; `pretty`: `<time> <LEVEL> <message> key=value ...`. */
export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

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
  /** Whether records of `level` are kept: a caller skips building what would be dropped (a hot path's debug). */
  enabled(level: LogLevel): boolean;
}

/**
 * A logger that hands records at or above `level` to `sink` (one pretty line on stderr by default). An `Error`
 * in the fields becomes its stable `code` and its message as `reason`, so every error line carries its code.
 */
export function createLogger(
  level: LogLevel = 'info',
  sink: (record: LogRecord) => void = logSink('pretty'),
): Logger {
  const log =
    (l: LogLevel) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      if (ORDER[l] >= ORDER[level]) sink({ level: l, message, fields: withErrorCodes(fields) });
    };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    enabled: (l) => ORDER[l] >= ORDER[level],
  };
}

/** A sink that writes each record as one line of `format` on `write` (stderr by default). */
export function logSink(
  format: LogFormat,
  write: (line: string) => void = (line) => process.stderr.write(line),
): (record: LogRecord) => void {
  return (record) => write(format === 'json' ? jsonLine(record) : prettyLine(record));
}

function prettyLine(record: LogRecord): string {
  const fields = Object.entries(record.fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return `${new Date().toISOString()} ${record.level.toUpperCase()} ${record.message}${fields ? ' ' + fields : ''}\n`;
}

function jsonLine(record: LogRecord): string {
  return (
    JSON.stringify({
      time: new Date().toISOString(),
      level: record.level,
      msg: record.message,
      ...record.fields,
    }) + '\n'
  );
}

function withErrorCodes(fields: Record<string, unknown>): Record<string, unknown> {
  const error = Object.values(fields).find((v) => v instanceof Error);
  if (error === undefined) return fields;
  const e = toAIFlowError(error);
  const rest = Object.fromEntries(Object.entries(fields).filter(([, v]) => !(v instanceof Error)));
  return { ...rest, code: e.code, reason: e.message };
}

export function isLogLevel(value: string): value is LogLevel {
  return value in ORDER;
}

/** The format when none is asked for: pretty for a person at a terminal, JSON for a pipe or a file. */
export function defaultLogFormat(isTerminal: boolean): LogFormat {
  return isTerminal ? 'pretty' : 'json';
}
