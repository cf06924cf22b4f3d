export { startServer, type AIFlowServer, type SchedulerMode, type ServerOptions } from './aiflow-server.ts';
export { metadataFile, schedulerTokenFile } from './home-files.ts';
export { SchedulerProcess, supervisorChannel, type SchedulerProcessOptions } from './scheduler-process.ts';
export {
  startScheduler,
  type RunningScheduler,
  type SchedulerSettings,
  type StartSchedulerOptions,
} from './start-scheduler.ts';
