import { readMetadataFile } from './read-only-file.ts';

/**
 * The scheduler's checkpoint (the last event offset it fully processed) read from a metadata file on a read-only
 * connection: how the broker bounds an event-log prune and `/readyz` reads the progress of a scheduler it does not
 * run. Null when there is no file or no checkpoint table yet.
 */
export function readCheckpointFile(file: string): number | null {
  return readMetadataFile(file, (db) => {
    const row = db.prepare('SELECT offset FROM checkpoint WHERE id = 1').get() as
      { offset: number } | undefined;
    return row?.offset ?? null;
  });
}
