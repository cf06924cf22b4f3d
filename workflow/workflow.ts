import { isCondition, type Condition } from './conditions.ts';
import { DEFAULT_NAMESPACE } from '../protocol/topics.ts';
import { checkName, checkTaskOptions, invalid, show, type TaskOptions } from './checks.ts';
import { Task, type TaskFunction, type TaskOperator } from './task.ts';

// Symbol.for: the loader must recognise workflows built by another copy of this package, where instanceof fails.
const WORKFLOW_BRAND = Symbol.for('aiflow.workflow');

/** Options of `new Workflow(name, options)`. */
export interface WorkflowOptions {
  /** Where the workflow's events live; its rules see only events of this namespace. @defaultValue `'default'` */
  namespace?: string;
}

export const WORKFLOW_DEFAULTS: Readonly<Required<WorkflowOptions>> = Object.freeze({
  namespace: DEFAULT_NAMESPACE,
});

/**
 * A named set of tasks and the rules between them. Declare it in a module and export it (default or named
 * export; a module may export several); `aiflow workflow upload <file>` loads the module and registers every
 * exported workflow.
 *
 * @example
 * ```ts
 * const workflow = new Workflow('quickstart');
 * const hello = workflow.bash('hello', 'echo hello');
 * workflow.fn('report', async (context) => console.log(context.workflowExecutionId)).startAfter(hello);
 * export default workflow;
 * ```
 */
export class Workflow {
  readonly name: string;
  readonly namespace: string;
  readonly #tasks = new Map<string, Task>();
  readonly #triggers: Condition[] = [];

  /**
   * @param name - 1-64 characters of A-Z a-z 0-9 _ - . ; unique within its namespace.
   * @throws AIFlowError `INVALID_WORKFLOW` for an invalid name or namespace.
   */
  constructor(name: string, options: WorkflowOptions = {}) {
    this.name = checkName('workflow name', name);
    const where = `workflow ${show(name)}: `;
    if (typeof options !== 'object' || options === null) {
      throw invalid(`${where}workflow options must be an object, got ${show(options)}`);
    }
    for (const key of Object.keys(options)) {
      if (!Object.hasOwn(WORKFLOW_DEFAULTS, key))
        throw invalid(`${where}unknown workflow option ${show(key)} (expected namespace)`);
    }
    this.namespace = checkName('namespace', options.namespace ?? WORKFLOW_DEFAULTS.namespace, where);
    Object.defineProperty(this, WORKFLOW_BRAND, { value: true });
  }

  /** The tasks, in declaration order. */
  get tasks(): readonly Task[] {
    return [...this.#tasks.values()];
  }

  /** The workflow triggers declared in the module, in declaration order. */
  get triggers(): readonly Condition[] {
    return [...this.#triggers];
  }

  /**
   * Starts a new execution of this workflow whenever `condition` is met by an event of the workflow's namespace
   * (any execution context). A custom condition's value state is scoped to the workflow: it is shared by every
   * evaluation of the trigger. Uploading the module again replaces the triggers it declares.
   *
   * @throws AIFlowError `INVALID_WORKFLOW` if `condition` is not a Condition.
   */
  addTrigger(condition: Condition): this {
    if (!isCondition(condition)) {
      throw invalid(`workflow ${show(this.name)}: a trigger must be a Condition, got ${show(condition)}`);
    }
    this.#triggers.push(condition);
    return this;
  }

  /**
   * Declares a task that runs `bash -c <command>`; it succeeds when the command exits with 0.
   *
   * @param name - 1-64 characters of A-Z a-z 0-9 _ - . ; unique within the workflow.
   * @throws AIFlowError `INVALID_WORKFLOW` for an invalid or duplicate name, an empty command or invalid options.
   */
  bash(name: string, command: string, options?: TaskOptions): Task {
    const where = this.#taskWhere(name);
    if (typeof command !== 'string' || command.trim() === '') {
      throw invalid(`${where}bash command must be a non-empty string`);
    }
    return this.#add(name, { type: 'bash', command }, options);
  }

  /**
   * Declares a task that calls `fn` in its own process (the module is loaded again there); it succeeds when `fn`
   * returns (or its promise resolves). Named `fn` because `function` is a keyword.
   *
   * @param name - 1-64 characters of A-Z a-z 0-9 _ - . ; unique within the workflow.
   * @throws AIFlowError `INVALID_WORKFLOW` for an invalid or duplicate name, a non-function or invalid options.
   */
  fn(name: string, fn: TaskFunction, options?: TaskOptions): Task {
    if (typeof fn !== 'function')
      throw invalid(`${this.#taskWhere(name)}fn must be a function, got ${show(fn)}`);
    return this.#add(name, { type: 'function', fn }, options);
  }

  #add(name: string, operator: TaskOperator, options: TaskOptions | undefined): Task {
    const settings = checkTaskOptions(options, this.#taskWhere(name));
    const task = new Task(this, name, operator, settings);
    this.#tasks.set(name, task);
    return task;
  }

  /** Checks the name first, so every later message can quote it. */
  #taskWhere(name: string): string {
    checkName('task name', name, `workflow ${show(this.name)}: `);
    if (this.#tasks.has(name))
      throw invalid(`workflow ${show(this.name)}: duplicate task name ${show(name)}`);
    return `workflow ${show(this.name)} task ${show(name)}: `;
  }
}

/** Whether `value` is a {@link Workflow}, from any copy of this package. */
export function isWorkflow(value: unknown): value is Workflow {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[WORKFLOW_BRAND] === true
  );
}
