export {
  AIFlowNotificationClient,
  type ListFilter,
  type ListenerOptions,
  type NotificationClientEvents,
  type NotificationClientOptions,
} from './notification-client.ts';
export type { ListenerProcessor } from './listener.ts';
export { SchedulerClient, type SchedulerClientOptions } from './scheduler-client.ts';
export type { ClientTls } from './client-tls.ts';
export { AIFlowError, type ErrorCode } from '../protocol/errors.ts';
export type { Event } from '../protocol/event.ts';
export type {
  TaskExecutionInfo,
  WorkflowRef,
  WorkflowScheduleInfo,
  WorkflowTriggerInfo,
} from '../protocol/scheduler-api.ts';
export type { RequestMethod, RequestParams, RequestResult } from '../protocol/request-methods.ts';
export type {
  CauseEvent,
  RequestRef,
  TaskActionCause,
  TaskActionCauseRef,
  TaskActionInfo,
  TaskActionName,
} from '../protocol/task-actions.ts';
export type { Caller, Grant, Role } from '../protocol/access-roles.ts';
export type { AuditEntry, AuditFilter, TokenInfo, UserInfo } from '../protocol/rpc.ts';
