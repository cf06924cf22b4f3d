import { AIFlowError } from './errors.ts';

/** One stored event, as every reader (SDK, CLI, any MQTT subscriber) sees it. */
export interface Event {
  /** Global, strictly increasing position in the event log; never reused. */
  offset: number;
  key: string;
  /** May be empty. */
  value: string;
  namespace: string;
  /** The SDK's sender, or the MQTT client id of a plain publisher. */
  sender: string;
  /** Free-form; JSON by convention (`{"workflowExecutionId": 1}` from inside a task). */
  context: string | null;
  /** Server clock, milliseconds since the epoch; never decreases with the offset. */
  createTime: number;
}

/** The payload subscribers of `ns/<namespace>/<key>` receive: the event as one JSON object. */
export function encodeEvent(event: Event): Buffer {
  return Buffer.from(JSON.stringify(event));
}

export function decodeEvent(payload: Buffer | string): Event {
  const parsed = parseJson(payload, 'event envelope');
  if (!isEvent(parsed)) throw new AIFlowError('INVALID_PAYLOAD', 'event envelope lacks offset, key or value');
  return parsed;
}

/** Reads a message of the event feed (`EVENT_FEED_TOPIC`): a JSON array of envelopes, in offset order. */
export function decodeEventBatch(payload: Buffer | string): Event[] {
  const parsed = parseJson(payload, 'event batch');
  if (!Array.isArray(parsed) || !parsed.every(isEvent)) {
    throw new AIFlowError('INVALID_PAYLOAD', 'event batch is not an array of envelopes');
  }
  return parsed;
}

function parseJson(payload: Buffer | string, what: string): unknown {
  try {
    return JSON.parse(payload.toString());
  } catch (error) {
    throw new AIFlowError('INVALID_PAYLOAD', `${what} is not JSON`, { cause: error });
  }
}

function isEvent(value: unknown): value is Event {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e.offset === 'number' &&
    typeof e.key === 'string' &&
    typeof e.value === 'string' &&
    typeof e.namespace === 'string' &&
    typeof e.sender === 'string' &&
    (typeof e.context === 'string' || e.context === null) &&
    typeof e.createTime === 'number'
  );
}
