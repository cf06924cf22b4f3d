import type { Static, StaticEncode, TObject, TSchema } from '@sinclair/typebox';
import type { Role } from './access-roles.ts';
import type { Parsed } from './request-schema.ts';

/** Who answers a method: the broker itself, or the scheduler (the broker forwards it). */
export type Service = 'broker' | 'scheduler';

/** One request method: everything the broker, the scheduler, the SDK, the CLI and the docs need to know of it. */
export interface MethodDeclaration<S extends Service, P extends TObject, R extends TSchema> {
  service: S;
  /** The role the caller needs in the namespace the method acts on (see `access-roles.ts`). */
  role: Role;
  /** One line for the README's method table. */
  summary: string;
  params: P;
  result: R;
  /** A rule across params that the schema cannot say: returns `<param> <reason>` when broken. */
  check?: (params: Parsed<P>) => string | undefined;
}

export function declare<S extends Service, P extends TObject, R extends TSchema>(
  declaration: MethodDeclaration<S, P, R>,
): MethodDeclaration<S, P, R> {
  return declaration;
}

/** What a client sends (ids may be numeric strings). */
export type ParamsOf<D> = D extends { params: infer P extends TObject } ? StaticEncode<P> : never;
/** What a handler receives: validated, numbers decoded, defaults filled in. */
export type ParsedOf<D> = D extends { params: infer P extends TObject } ? Parsed<P> : never;
export type ResultOf<D> = D extends { result: infer R extends TSchema } ? Static<R> : never;
