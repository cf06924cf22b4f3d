export {
  AIFlowNotificationClient,
  type ListFilter,
  type ListenerOptions,
  type NotificationClientEvents,
  type NotificationClientOptions,
} from './notification-client.ts';
export type { ListenerProcessor } from './listener.ts';
export { SchedulerClient, type SchedulerClientOptions } from './scheduler-client.ts';
export { AIFlowError, type ErrorCode } from '../protocol/errors.ts';
export type { Event } from '../protocol/event.ts';
export type { WorkflowRef, WorkflowScheduleInfo, WorkflowTriggerInfo } from '../protocol/scheduler-api.ts';
export type { Caller, Grant, Role } from '../protocol/access-roles.ts';
export type { TokenInfo, UserInfo } from '../protocol/rpc.ts';
