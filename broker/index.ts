export { BROKER_DEFAULTS } from './broker-defaults.ts';
export { startBroker, type BrokerOptions, type BrokerServer } from './broker-server.ts';
export { EventLog, type AppendInput, type AppendResult, type EventLogOptions } from './event-log.ts';
export { createLogger, isLogLevel, type LogLevel, type LogRecord, type Logger } from './logger.ts';
export { clientCertificateName } from './client-certificate.ts';
export type { ServerTlsOptions } from './server-tls.ts';
