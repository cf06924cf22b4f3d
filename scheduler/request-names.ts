import { sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AIFlowError, toAIFlowError } from '../protocol/errors.ts';

/** Longest name a request may carry: a file name on every common file system. */
const MAX_NAME_LENGTH = 255;

/**
 * A name from a request that becomes a file name or an identifier (an uploaded module's `fileName`, a workflow or
 * task name): INVALID_REQUEST unless it is a non-empty string, not `.` or `..`, without a path separator or NUL.
 * Checked where the request enters, so that no bad name reaches the file system, whose error would show a server
 * path.
 */
export function requestName(params: Record<string, unknown>, name: string): string {
  const value = params[name];
  if (typeof value !== 'string' || value === '') {
    throw new AIFlowError('INVALID_REQUEST', `${name} must be a non-empty string`);
  }
  if (value.length > MAX_NAME_LENGTH) {
    throw new AIFlowError('INVALID_REQUEST', `${name} must be at most ${MAX_NAME_LENGTH} characters`);
  }
  if (value === '.' || value === '..' || /[/\\\0]/.test(value)) {
    throw new AIFlowError(
      'INVALID_REQUEST',
      `${name} ${JSON.stringify(value)} must be a plain name: not . or .., without /, \\ or NUL`,
    );
  }
  return value;
}

/**
 * An error from loading an uploaded module, with the server's temporary upload folder taken out of its message:
 * the requester sees its own file name (`reports.ts:3:5: …`), never where the server keeps it.
 */
export function withoutUploadFolder(error: unknown, dir: string): AIFlowError {
  const e = toAIFlowError(error);
  const message = e.message.replaceAll(`${pathToFileURL(dir).href}/`, '').replaceAll(`${dir}${sep}`, '');
  return message === e.message ? e : new AIFlowError(e.code, message, { cause: e });
}
