import {
  createActor,
  type AnyActorScope,
  type AnyStateMachine,
  type EventFromLogic,
  type ExecutableActionObject,
  type InputFrom,
  type SnapshotFrom,
} from 'xstate';
import { AIFlowError } from '../../protocol/errors.ts';

/**
 * A state machine's current state, advanced with xstate's pure `transition`: what an xstate actor does for the
 * engine, without one. An actor carries an actor system of its own (a mailbox, maps, a score of closures: about
 * 3 KB), and the engine keeps one machine per live execution and one per live task execution. As in an actor,
 * the actions of a transition run in order while `getSnapshot()` still returns the previous state, and an event
 * sent from one of them is handled after the current one; unlike an actor, an action that throws throws from
 * `send` (the engine then undoes the whole input).
 */
export class MachineActor<M extends AnyStateMachine> {
  readonly #machine: M;
  #snapshot: SnapshotFrom<M>;
  #stopped = false;
  /** Events sent while one is being handled (by its actions), handled next, in order. */
  #queue: EventFromLogic<M>[] | null = null;
  /** The initial state's entry actions, run by `start()`. */
  #initial: (() => void) | null;

  /** A new machine in its initial state, or one resumed in `snapshot` (no entry action replayed). */
  constructor(machine: M, options: { input: InputFrom<M>; snapshot?: SnapshotFrom<M> }) {
    this.#machine = machine;
    if (options.snapshot) {
      this.#snapshot = options.snapshot;
      this.#initial = null;
    } else {
      const actions = collecting(machine);
      this.#snapshot = machine.getInitialSnapshot(scopeOf(machine), options.input) as SnapshotFrom<M>;
      this.#initial = () => runActions(actions);
    }
  }

  start(): this {
    const initial = this.#initial;
    this.#initial = null;
    initial?.();
    return this;
  }

  getSnapshot(): SnapshotFrom<M> {
    return this.#snapshot;
  }

  send(event: EventFromLogic<M>): void {
    if (this.#stopped) return;
    if (this.#queue) {
      this.#queue.push(event);
      return;
    }
    this.#queue = [event];
    try {
      for (let next = this.#queue.shift(); next; next = this.#queue.shift()) {
        // A machine that reached a final state takes no more events.
        if ((this.#snapshot as { status: string }).status !== 'active') continue;
        const actions = collecting(this.#machine);
        const snapshot = this.#machine.transition(this.#snapshot, next, scopeOf(this.#machine));
        runActions(actions);
        this.#snapshot = snapshot as SnapshotFrom<M>;
      }
    } finally {
      this.#queue = null;
    }
  }

  stop(): void {
    this.#stopped = true;
  }
}

/**
 * One actor scope per machine, shared by all its states. xstate's own pure `transition` builds a throwaway actor
 * (and its system) for every call, which costs more than the transition itself. Sharing one is safe for these
 * machines: they spawn, invoke and delay nothing, so a transition uses its scope only to hand out its actions,
 * and no transition runs inside another (actions run after their transition has returned).
 */
const scopes = new WeakMap<AnyStateMachine, AnyActorScope>();

function scopeOf(machine: AnyStateMachine): AnyActorScope {
  let scope = scopes.get(machine);
  if (!scope) {
    // The scope xstate builds for an actor it never starts: what its `transition` uses, made once.
    scope = (createActor(machine) as unknown as { _actorScope?: AnyActorScope })._actorScope;
    if (!scope) throw new AIFlowError('INTERNAL', 'this xstate version gives an actor no actor scope');
    scopes.set(machine, scope);
  }
  return scope;
}

/** The actions of the next transition of `machine`, collected instead of run. */
function collecting(machine: AnyStateMachine): ExecutableActionObject[] {
  const actions: ExecutableActionObject[] = [];
  scopeOf(machine).actionExecutor = (action) => void actions.push(action);
  return actions;
}

function runActions(actions: ExecutableActionObject[]): void {
  for (const action of actions) action.exec?.(action.info, action.params);
}
