// A workflow project: the module imports a file of its own (and could import npm packages of the project).
// `aiflow workflow upload` bundles both into the snapshot, which is what every execution of it runs.
//
//   aiflow workflow upload examples/workflows/project/flow.ts
//   aiflow workflow-execution start project_report
//   aiflow task-execution list 1        # report: success
//   aiflow task-execution logs 1        # count 3, mean 4, max 5
import { Workflow } from 'aiflow-mqtt/workflow';
import { summarize } from './lib/summary.ts';

const workflow = new Workflow('project_report');
workflow.fn('report', async () => {
  console.log(summarize([3, 4, 5]));
});

export default workflow;

// Next: change lib/summary.ts and start another execution (the snapshot still runs the uploaded code), then
// upload again; or `npm install` a package in your project and import it here.
