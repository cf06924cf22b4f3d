import type { Event } from '../protocol/event.ts';
import type { ErrorCode } from '../protocol/errors.ts';
import type { EventFilter } from '../protocol/rpc.ts';
import type { PruneRequest } from './event-log-pruner.ts';
import type { EventCount } from './event-log-queries.ts';
import type { AppendInput, WrittenEvent } from './event-log-writer.ts';

/** Messages between the event log (main thread) and its database threads. Structured-clone plain data only. */

export interface EventLogThreadData {
  file: string;
  role: 'writer' | 'reader';
  durability: 'full' | 'normal';
}

export type QueryRequest =
  | { op: 'list'; filter: EventFilter; limit: number }
  | { op: 'count'; filter: EventFilter }
  | { op: 'timeToOffset'; time?: number };

export interface QueryResults {
  list: Event[];
  count: EventCount;
  timeToOffset: number;
}

export type ToThread =
  | { type: 'open' }
  | { type: 'append'; batch: { id: number; input: AppendInput }[] }
  | { type: 'query'; id: number; request: QueryRequest }
  /** To the writer: answered with `answer` (a PruneResult) or `query-failed`. */
  | { type: 'prune'; id: number; request: PruneRequest }
  | { type: 'close' };

export interface WireError {
  code: ErrorCode;
  message: string;
}

export type FromThread =
  | { type: 'ready' }
  | { type: 'open-failed'; error: WireError }
  | { type: 'committed'; ids: number[]; written: WrittenEvent[] }
  | { type: 'append-failed'; ids: number[]; error: WireError }
  /** The file was removed, replaced or failed: no append will be acknowledged any more. */
  | { type: 'storage-lost'; reason: string }
  | { type: 'answer'; id: number; value: unknown }
  | { type: 'query-failed'; id: number; error: WireError }
  | { type: 'closed' };
