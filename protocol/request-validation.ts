import { Value } from '@sinclair/typebox/value';
import type { TObject, TSchema } from '@sinclair/typebox';
import { AIFlowError } from './errors.ts';
import type { MethodDeclaration, Service } from './request-declaration.ts';
import {
  isRequestMethod,
  REQUEST_METHODS,
  type ParsedParams,
  type RequestMethod,
} from './request-methods.ts';
import { checkGrammar } from './request-schema.ts';

/** A request whose method is declared and whose params passed their schema. */
export type ParsedRequest = { [M in RequestMethod]: { method: M; params: ParsedParams<M> } }[RequestMethod];

function invalid(method: string, problem: string): never {
  throw new AIFlowError('INVALID_REQUEST', `${method}: ${problem}`);
}

/**
 * The one validation of request params: throws UNKNOWN_METHOD for an undeclared method, INVALID_NAMESPACE or
 * INVALID_KEY for a name that breaks the topic grammar, and `INVALID_REQUEST: <method>: <param> <reason>` for
 * anything else. A null param counts as left out; unknown params are dropped.
 */
export function parseRequestParams(method: string, params: unknown): ParsedRequest {
  if (!isRequestMethod(method)) {
    throw new AIFlowError('UNKNOWN_METHOD', `unknown method ${JSON.stringify(method)}`);
  }
  const raw = params ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) invalid(method, 'params must be an object');
  const declaration = REQUEST_METHODS[method] as MethodDeclaration<Service, TObject, TSchema>;
  const schema = declaration.params;
  const given = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== null));
  const error = Value.Errors(schema, given).First();
  if (error) {
    checkGrammar(error.schema.format, error.value);
    const name = error.path.split('/')[1] ?? '';
    const property = schema.properties[name] as TSchema | undefined;
    const wanted = String(property?.description ?? error.message);
    invalid(
      method,
      error.value === undefined ? `${name} is required: ${wanted}` : `${name} must be ${wanted}`,
    );
  }
  const parsed = Value.Decode(schema, Value.Default(schema, Value.Clean(schema, given))) as Record<
    string,
    unknown
  >;
  const broken = declaration.check?.(parsed);
  if (broken !== undefined) invalid(method, broken);
  return { method, params: parsed } as ParsedRequest;
}
