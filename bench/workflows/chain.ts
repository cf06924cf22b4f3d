// A chain (bench/chain.ts): 40 tasks that each run `true`, each one after the previous one.
import { Workflow, type Task } from 'aiflow-mqtt/workflow';

export const CHAIN_LENGTH = 40;

const workflow = new Workflow('bench_chain');
let previous: Task | undefined;
for (let i = 1; i <= CHAIN_LENGTH; i++) {
  const task = workflow.bash(`t${String(i).padStart(2, '0')}`, 'true');
  if (previous) task.startAfter(previous);
  previous = task;
}

export default workflow;
