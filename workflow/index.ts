/**
 * The workflow-definition API: what a workflow module imports from `aiflow-mqtt/workflow`, plus the loader and
 * spec conversion the scheduler, the CLI and the sandboxes use.
 */
// The definition API is listed once, in dsl.ts, which the client package ships on its own.
export * from './dsl.ts';
export {
  ISOLATED_LOAD_DEFAULTS,
  loadWorkflows,
  loadWorkflowsIsolated,
  type IsolatedLoadOptions,
  type LoadedWorkflows,
} from './loader.ts';
