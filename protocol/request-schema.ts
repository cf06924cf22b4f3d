import {
  FormatRegistry,
  Type,
  type StaticDecode,
  type TObject,
  type TOptional,
  type TSchema,
} from '@sinclair/typebox';
import { LIMITS } from './limits.ts';
import { validateKey, validateNamespace } from './topics.ts';

/**
 * The vocabulary of request parameters. Each schema's `description` is what a wrong value "must be": the validator
 * answers `INVALID_REQUEST: <method>: <param> must be <description>`. Formats `namespace` and `event-key` carry the
 * grammar of `topics.ts` (their errors keep the codes INVALID_NAMESPACE and INVALID_KEY); the `pattern` beside each
 * lets a client in another language check most of it with any JSON Schema validator.
 */
FormatRegistry.Set('namespace', (value) => LIMITS.namespacePattern.test(value));
FormatRegistry.Set('event-key', (value) => {
  try {
    validateKey(value);
    return true;
  } catch {
    return false;
  }
});

/** Reports a grammar error with the code and message of `topics.ts`. */
export function checkGrammar(format: unknown, value: unknown): void {
  if (typeof value !== 'string') return;
  if (format === 'namespace') validateNamespace(value);
  if (format === 'event-key') validateKey(value);
}

export const NamespaceName = Type.String({
  format: 'namespace',
  pattern: LIMITS.namespacePattern.source,
  description: `a namespace (1-${LIMITS.namespaceMaxLength} characters of A-Z a-z 0-9 _ - .)`,
});

export const EventKey = Type.String({
  format: 'event-key',
  minLength: 1,
  pattern: '^[^+#\\u0000]+$',
  description: `an event key (1-${LIMITS.keyMaxBytes} bytes of UTF-8 without +, # or NUL)`,
});

export const NonEmptyString = Type.String({ minLength: 1, description: 'a non-empty string' });
/**
 * A name that becomes a file name or an identifier (an uploaded module's file name, a workflow or task name): no
 * bad name reaches the file system, whose error would show a server path.
 */
export const PlainName = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^(?!\\.{1,2}$)[^/\\\\\\u0000]+$',
  description: 'a plain name: 1-255 characters, not . or .., without /, \\ or NUL',
});
export const AnyString = Type.String({ description: 'a string' });
export const Flag = Type.Boolean({ description: 'a boolean' });

/** ms since the epoch, or an offset: the broker takes JSON numbers only. */
export const NonNegative = (description = 'a non-negative integer') =>
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });

const WHOLE_NUMBER_TEXT = '^(0|[1-9][0-9]{0,14})$';
const POSITIVE_NUMBER_TEXT = '^[1-9][0-9]{0,14}$';

/**
 * A JSON number or the same number as a decimal string: the CLI passes ids straight from its arguments. Decoded to a
 * number before a handler sees it.
 */
function numberOrText(minimum: number, pattern: string, description: string) {
  return Type.Transform(
    Type.Union([Type.Integer({ minimum, maximum: Number.MAX_SAFE_INTEGER }), Type.String({ pattern })], {
      description,
    }),
  )
    .Decode((value) => Number(value))
    .Encode((value) => value);
}

/** Ids of the metadata store: 1, 2, 3… */
export const Id = numberOrText(1, POSITIVE_NUMBER_TEXT, 'a positive integer');
/** A byte offset or a time in ms since the epoch, of a scheduler method. */
export const WholeNumber = numberOrText(0, WHOLE_NUMBER_TEXT, 'a non-negative integer');

/** A property that may be left out and then takes `value`; its parsed type has it. */
export function withDefault<S extends TSchema>(
  schema: S,
  value: StaticDecode<S>,
): TOptional<S> & { default: StaticDecode<S> } {
  return Type.Optional({ ...schema, default: value }) as TOptional<S> & { default: StaticDecode<S> };
}

/** The params as a handler sees them: numbers decoded, defaulted properties present. */
export type Parsed<S extends TObject> = StaticDecode<S> & {
  [K in keyof S['properties'] as S['properties'][K] extends { default: unknown } ? K : never]-?: StaticDecode<
    S['properties'][K]
  >;
};

/** Params of a method: unknown properties are ignored, so a newer client can talk to an older server. */
export function Params<P extends Record<string, TSchema>>(properties: P): TObject<P> {
  return Type.Object(properties);
}
