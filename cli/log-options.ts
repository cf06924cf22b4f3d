import { Option } from 'commander';
import {
  createLogger,
  defaultLogFormat,
  isLogLevel,
  LOG_FORMATS,
  logSink,
  type LogFormat,
  type Logger,
  type LogLevel,
} from '../broker/logger.ts';
import { AIFlowError } from '../protocol/errors.ts';
import type { CliIO } from './io.ts';

export interface LogCliOptions {
  logLevel: string;
  logFormat?: LogFormat;
}

/** `--log-level` and `--log-format`, shared by `server start` and `scheduler start`. */
export function withLogOptions<C extends { addOption(option: Option): C }>(command: C): C {
  return command
    .addOption(
      new Option('--log-level <level>', 'debug, info, warn or error').env('AIFLOW_LOG_LEVEL').default('info'),
    )
    .addOption(
      new Option('--log-format <format>', 'json or pretty (default: pretty on a terminal, json otherwise)')
        .env('AIFLOW_LOG_FORMAT')
        .choices(LOG_FORMATS),
    );
}

/** The logger the options ask for, with the level and format it resolved to (a child process gets the same). */
export function loggerOf(
  io: CliIO,
  options: LogCliOptions,
): { logger: Logger; level: LogLevel; format: LogFormat } {
  if (!isLogLevel(options.logLevel)) {
    throw new AIFlowError('INVALID_OPTION', 'log level must be debug, info, warn or error');
  }
  const level = options.logLevel;
  const format = options.logFormat ?? defaultLogFormat(io.stdoutIsTerminal === true);
  return { logger: createLogger(level, logSink(format, io.stderr)), level, format };
}
