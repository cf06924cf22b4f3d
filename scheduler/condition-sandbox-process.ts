// The condition sandbox's process: loads workflow modules and answers `isMet` requests over IPC.
import { loadWorkflows } from '../workflow/loader.ts';
import { findCondition } from '../workflow/to-spec.ts';
import type { SandboxRequest, SandboxResult } from './condition-sandbox.ts';

const modules = new Map<string, ReturnType<typeof loadWorkflows>>();

process.on('message', (request: SandboxRequest) => {
  evaluate(request).then(
    (result) => process.send?.({ ok: true, result }),
    (error: unknown) =>
      process.send?.({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});

async function evaluate(request: SandboxRequest): Promise<SandboxResult> {
  let loading = modules.get(request.moduleFile);
  if (!loading) modules.set(request.moduleFile, (loading = loadWorkflows(request.moduleFile)));
  const { workflows } = await loading;
  const workflow = workflows.find((w) => w.name === request.workflow);
  if (!workflow) throw new Error(`workflow ${request.workflow} is not in ${request.moduleFile}`);
  const condition = findCondition(workflow, request.path);
  const states = { ...request.states };
  const updates: Record<string, unknown> = {};
  const context = {
    getState: (descriptor: { name: string }) => ({
      value: () => states[descriptor.name],
      update: (value: unknown) => {
        states[descriptor.name] = value;
        updates[descriptor.name] = value;
      },
    }),
    getTaskStatus: (task: string) => request.taskStatuses[task],
  };
  const met = await condition.isMet(request.event, context as never);
  return { met: met === true, updates };
}
