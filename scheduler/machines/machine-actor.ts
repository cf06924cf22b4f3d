import {
  initialTransition,
  transition,
  type AnyStateMachine,
  type EventFromLogic,
  type InputFrom,
  type SnapshotFrom,
} from 'xstate';

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
      const [snapshot, actions] = initialTransition(machine, options.input);
      this.#snapshot = snapshot as SnapshotFrom<M>;
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
        const [snapshot, actions] = transition(this.#machine, this.#snapshot, next);
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

type Actions = ReturnType<typeof transition>[1];

function runActions(actions: Actions): void {
  for (const action of actions) action.exec?.(action.info, action.params);
}
