import type { Logger } from '../../broker/logger.ts';
import type { Event } from '../../protocol/event.ts';
import {
  parseContext,
  taskStatusKey,
  workflowExecutionIdIn,
  type TaskStatusContext,
} from '../../protocol/status-events.ts';
import { causeEvent, type TaskActionCause } from '../../protocol/task-actions.ts';
import { describeCondition, ruleText } from '../../workflow/rule-text.ts';
import { expectedKeys, type ConditionSpec, type RuleSpec, type TaskSpec } from '../../workflow/spec.ts';
import { isMet, type EvaluationScope } from '../conditions.ts';
import { conditionScope, type ScopeTarget } from '../condition-scope.ts';
import type { LiveExecution } from '../execution.ts';
import type { SnapshotRecord, WorkflowRecord } from '../store/records.ts';
import type { WorkflowCatalog } from '../workflow-catalog.ts';
import type { EngineState } from './engine-state.ts';
import type { ExecutionLifecycle } from './execution-lifecycle.ts';
import type { ConditionEvaluator } from './ports.ts';
import type { TaskLifecycle } from './task-lifecycle.ts';

/** Where an execution's observed task statuses are stored (a name no user state can have). */
export const OBSERVED_STATE = '$observed';

/** A rule that fired: what to do to which task, and which rule (its index in the task) said so. */
interface Decision {
  task: TaskSpec;
  rule: RuleSpec;
  index: number;
}

export interface EventRouterDeps {
  state: EngineState;
  catalog: WorkflowCatalog;
  tasks: TaskLifecycle;
  executions: ExecutionLifecycle;
  conditions: ConditionEvaluator;
  dataDir: string;
  logger: Logger;
}

/**
 * Routes one event: workflow triggers first, then the rules of the running executions that expect its key
 * (found in the rule index, or the one execution named in its context), evaluated task by task.
 */
export class EventRouter {
  readonly #d: EventRouterDeps;

  constructor(deps: EventRouterDeps) {
    this.#d = deps;
  }

  async route(event: Event): Promise<void> {
    const { state } = this.#d;
    const context = parseContext(event.context);
    const contextId = workflowExecutionIdIn(context);
    // Targets are fixed before triggers run: an execution a trigger starts does not see the event that started it.
    const targets = contextId !== undefined ? [contextId] : state.index.lookup(event.namespace, event.key);
    await this.#fireTriggers(event);
    const reached: LiveExecution[] = [];
    for (const id of targets) {
      const execution = state.live.get(id);
      // Events never cross namespaces, and only running executions react.
      if (!execution || execution.record.namespace !== event.namespace) continue;
      if (execution.actor.getSnapshot().value !== 'running') continue;
      this.#observe(execution, event, context);
      reached.push(execution);
    }
    // One execution's actions never change another's conditions, so all are decided at once: the custom
    // conditions of N executions then reach their sandbox in one batch (one round trip), not N.
    const decisions = await Promise.all(reached.map((execution) => this.#decide(execution, event)));
    // One cause per rule fired: the executions of a snapshot share it (and the store serialises it once).
    const causes = new Map<RuleSpec, TaskActionCause>();
    const causeOf = ({ rule, index }: Decision): TaskActionCause => {
      let cause = causes.get(rule);
      if (!cause) {
        cause = { kind: 'rule', rule: index, ...this.#ruleWords(rule), event: causeEvent(event) };
        causes.set(rule, cause);
      }
      return cause;
    };
    reached.forEach((execution, i) => {
      for (const decision of decisions[i]!)
        this.#act(execution, decision.task, decision.rule, causeOf(decision));
      if (event.key.startsWith('$task/')) this.#d.executions.settle(execution);
    });
  }

  /** Records a task status event of this execution's latest task execution (older runs' late events are ignored). */
  #observe(execution: LiveExecution, event: Event, parsed: unknown): void {
    if (!event.key.startsWith('$task/') || parsed === undefined) return;
    const context = parsed as Partial<TaskStatusContext>;
    if (context.task === undefined || context.status === undefined) return;
    if (execution.latest.get(context.task)?.record.id !== context.taskExecutionId) return;
    execution.observed.set(context.task, context.status);
    this.#d.state.current().uow.states.push({
      scope: execution.stateScope,
      name: OBSERVED_STATE,
      value: Object.fromEntries(execution.observed),
    });
  }

  /** Workflow triggers match on namespace and key only; per workflow, the first trigger met starts one execution. */
  async #fireTriggers(event: Event): Promise<void> {
    const { catalog } = this.#d;
    for (const [workflow, triggers] of catalog.activeTriggers(event.namespace, event.key)) {
      const snapshot = catalog.cachedSnapshot(workflow.snapshotId);
      if (!snapshot) continue;
      const scope = this.#triggerScope(workflow, snapshot);
      for (const trigger of triggers) {
        if (!(await isMet(trigger.condition, event, scope))) continue;
        const cause = { kind: 'trigger', triggerId: trigger.id, event: causeEvent(event) } as const;
        this.#d.executions.create(workflow, snapshot, 'trigger', cause);
        break;
      }
    }
  }

  /** Trigger conditions keep their state per workflow, shared by all its triggers. */
  #triggerScope(workflow: WorkflowRecord, snapshot: SnapshotRecord): EvaluationScope {
    return this.#scope({
      workflow: workflow.name,
      snapshot,
      stateScope: this.#d.catalog.triggerStateScope(workflow.id),
      state: this.#d.catalog.triggerState(workflow.id),
      taskStatus: () => undefined,
      label: `workflow ${workflow.name}`,
    });
  }

  /** Every task is considered independently; within a task, the first matching rule that fires wins. */
  async #decide(execution: LiveExecution, event: Event): Promise<Decision[]> {
    let scope: EvaluationScope | undefined; // made once a rule expects the event (most events reach none)
    const decisions: Decision[] = [];
    for (const task of execution.spec.tasks) {
      for (const [index, rule] of task.rules.entries()) {
        if (!this.#ruleKeys(execution, rule.condition).includes(event.key)) continue;
        if (!(await isMet(rule.condition, event, (scope ??= this.#executionScope(execution))))) continue;
        decisions.push({ task, rule, index });
        break;
      }
    }
    return decisions;
  }

  #act(execution: LiveExecution, task: TaskSpec, rule: RuleSpec, cause: TaskActionCause): void {
    const { tasks } = this.#d;
    if (rule.action === 'start') tasks.start(execution, task, cause);
    else if (rule.action === 'stop') tasks.stop(execution, task.name, cause);
    else tasks.restart(execution, task, cause);
  }

  /** A rule's text and condition in words, made once per snapshot (one event may fire it in many executions). */
  #ruleWords(rule: RuleSpec): { text: string; condition: string } {
    let words = this.#wordsByRule.get(rule);
    if (!words) {
      words = { text: ruleText(rule), condition: describeCondition(rule.condition) };
      this.#wordsByRule.set(rule, words);
    }
    return words;
  }

  readonly #wordsByRule = new WeakMap<RuleSpec, { text: string; condition: string }>();

  /** The keys a rule expects, computed once per snapshot (every execution of it shares the spec objects). */
  #ruleKeys(execution: LiveExecution, condition: ConditionSpec): string[] {
    let keys = this.#keysByCondition.get(condition);
    if (!keys) {
      keys = expectedKeys(condition, (name) => taskStatusKey(execution.spec.name, name));
      this.#keysByCondition.set(condition, keys);
    }
    return keys;
  }

  readonly #keysByCondition = new WeakMap<ConditionSpec, string[]>();

  #executionScope(execution: LiveExecution): EvaluationScope {
    return this.#scope({
      workflow: execution.spec.name,
      snapshot: execution.snapshot,
      stateScope: execution.stateScope,
      state: execution.state,
      taskStatus: (task) => execution.observed.get(task),
      label: `execution ${execution.record.id}`,
    });
  }

  #scope(target: ScopeTarget): EvaluationScope {
    return conditionScope(target, {
      sandbox: this.#d.conditions,
      dataDir: this.#d.dataDir,
      logger: this.#d.logger,
      recordState: (scope, name, value) => this.#d.state.current().uow.states.push({ scope, name, value }),
    });
  }
}
