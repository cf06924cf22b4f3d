export {
  schedulerTokenFile,
  startScheduler,
  startServer,
  type AIFlowServer,
  type ServerOptions,
} from './aiflow-server.ts';
