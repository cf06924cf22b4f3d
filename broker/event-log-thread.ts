// Entry point of the event log's database threads (see event-log.ts): the writer owns the file and group-commits
// appends; the reader answers queries on its own read-only connection, so neither a disk sync nor a long query
// ever runs on the thread that serves MQTT sockets, and a query never delays a commit.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { AIFlowError, toAIFlowError } from '../protocol/errors.ts';
import type {
  EventLogThreadData,
  FromThread,
  QueryRequest,
  ToThread,
  WireError,
} from './event-log-protocol.ts';
import { EventLogPruner, type PruneRequest, type PruneResult } from './event-log-pruner.ts';
import { EventLogQueries } from './event-log-queries.ts';
import { prepareEventLogSchema } from './event-log-schema.ts';
import { EventLogWriter, type AppendInput } from './event-log-writer.ts';
import {
  assertIntact,
  damagedFileError,
  FileIdentity,
  FileWatch,
  isDamageError,
} from './sqlite-file-guard.ts';

const port = parentPort!;
const { file, role, durability } = workerData as EventLogThreadData;
const send = (message: FromThread): void => port.postMessage(message);

function storageError(error: unknown, what: string): WireError {
  if (error instanceof AIFlowError) return error.toJSON();
  if (isDamageError(error)) return damagedFileError(file, (error as Error).message).toJSON();
  return { code: 'STORAGE_FAILED', message: `${what}: ${toAIFlowError(error).message}` };
}

/** Opens the connection, or reports why not and ends the thread. */
function open(
  setUp: (db: Database.Database) => void,
  options: Database.Options = {},
): Database.Database | null {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, options);
    setUp(db);
    return db;
  } catch (error) {
    if (db?.open) db.close();
    send({ type: 'open-failed', error: storageError(error, `cannot open the event log ${file}`) });
    port.close();
    return null;
  }
}

function runWriter(): void {
  let identity: FileIdentity | undefined;
  let writer: EventLogWriter | undefined;
  let pruner: EventLogPruner | undefined;
  const db = open((db) => {
    assertIntact(db, file);
    identity = FileIdentity.capture(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durability === 'normal' ? 'NORMAL' : 'FULL'}`);
    prepareEventLogSchema(db, file);
    writer = new EventLogWriter(db);
    pruner = new EventLogPruner(db);
  });
  if (!db || !identity || !writer || !pruner) return;
  const prunes = pruner;
  const write = writer.write.bind(writer);
  let lost: string | null = null;
  const markLost = (reason: string): void => {
    if (lost !== null) return;
    lost = reason;
    watch.stop();
    send({ type: 'storage-lost', reason });
  };
  const watch = new FileWatch(identity, markLost);
  let pending: { id: number; input: AppendInput }[] = [];
  let flushScheduled = false;

  // Appends that arrive while a commit runs queue up in the message port and join the next commit.
  const flush = (): void => {
    flushScheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    const ids = batch.map((p) => p.id);
    const fail = (error: WireError) => send({ type: 'append-failed', ids, error });
    if (lost !== null) return fail({ code: 'STORAGE_FAILED', message: lost });
    let written;
    try {
      written = write(batch.map((p) => p.input));
    } catch (error) {
      const failure = storageError(error, 'append failed');
      if (isDamageError(error)) markLost(failure.message);
      return fail(failure);
    }
    // Committed into a file that is no longer the log's (removed or replaced): not durable, so not acknowledged.
    const reason = watch.check();
    if (reason !== null) {
      markLost(reason);
      return fail({ code: 'STORAGE_FAILED', message: reason });
    }
    send({ type: 'committed', ids, written });
  };

  // One batch per transaction, and a turn of the loop between batches, so appends keep committing meanwhile.
  const prune = async (request: PruneRequest): Promise<PruneResult> => {
    const byNamespace: PruneResult['byNamespace'] = [];
    for (const [namespace, bound] of prunes.bounds(request)) {
      let removed = 0;
      if (request.dryRun) removed = prunes.count(namespace, bound);
      else {
        for (;;) {
          if (lost !== null) throw new AIFlowError('STORAGE_FAILED', lost);
          const n = prunes.removeBatch(namespace, bound);
          if (n === 0) break;
          removed += n;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      if (removed > 0) byNamespace.push({ namespace, removed });
    }
    return {
      removed: byNamespace.reduce((sum, n) => sum + n.removed, 0),
      byNamespace,
      maxOffset: request.maxOffset,
      dryRun: request.dryRun === true,
    };
  };

  port.on('message', (message: ToThread) => {
    if (message.type === 'append') {
      pending.push(...message.batch);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    } else if (message.type === 'prune') {
      prune(message.request).then(
        (value) => send({ type: 'answer', id: message.id, value }),
        (error: unknown) =>
          send({ type: 'query-failed', id: message.id, error: storageError(error, 'prune failed') }),
      );
    } else if (message.type === 'close') {
      flush();
      watch.stop();
      db.close();
      send({ type: 'closed' });
      port.close();
    }
  });
  send({ type: 'ready' });
}

function runReader(): void {
  let queries: EventLogQueries | undefined;
  const db = open((db) => (queries = new EventLogQueries(db)), { readonly: true, fileMustExist: true });
  if (!db || !queries) return;
  const answer = (request: QueryRequest): unknown => {
    switch (request.op) {
      case 'list':
        return queries!.list(request.filter, request.limit);
      case 'count':
        return queries!.count(request.filter);
      case 'timeToOffset':
        return queries!.timeToOffset(request.time);
    }
  };
  port.on('message', (message: ToThread) => {
    if (message.type === 'query') {
      try {
        send({ type: 'answer', id: message.id, value: answer(message.request) });
      } catch (error) {
        send({ type: 'query-failed', id: message.id, error: storageError(error, 'query failed') });
      }
    } else if (message.type === 'close') {
      db.close();
      send({ type: 'closed' });
      port.close();
    }
  });
  send({ type: 'ready' });
}

// The thread starts (loads its code) at once, but opens the file only when asked: the reader must open it after the
// writer has created or upgraded it, while both threads boot in parallel.
port.once('message', (message: ToThread) => {
  if (message.type !== 'open') return port.close();
  if (role === 'writer') runWriter();
  else runReader();
});
