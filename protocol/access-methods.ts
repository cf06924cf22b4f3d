// The declaration emit names TypeBox's optional marker in the inferred types below (else TS4023).
// eslint-disable-next-line @typescript-eslint/no-unused-vars
import type { OptionalKind } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { ROLES } from './roles.ts';
import { declare } from './request-declaration.ts';
import { LIMITS } from './limits.ts';
import { NonEmptyString, NonNegative, Params } from './request-schema.ts';

/** `role@namespace`, e.g. `operator@plant-1` or `viewer@*` (parsed by `parseGrant`). */
const Grants = Type.Array(Type.String({ pattern: `^(${ROLES.join('|')})@[^@]+$` }), {
  minItems: 1,
  description: 'a non-empty array of role@namespace strings',
});
const Time = Type.Integer({ description: 'ms since the epoch' });
const UserInfo = Type.Object(
  { name: Type.String(), grants: Type.Array(Type.String()), createTime: Time },
  { title: 'UserInfo' },
);
const TokenInfo = Type.Object(
  { id: Type.String(), name: Type.String(), grants: Type.Array(Type.String()), createTime: Time },
  { title: 'TokenInfo' },
);
const AuditEntry = Type.Object(
  {
    seq: Type.Integer(),
    time: Time,
    identity: Type.String(),
    client: Type.String(),
    remote: Type.Union([Type.String(), Type.Null()]),
    action: Type.String(),
    namespace: Type.Union([Type.String(), Type.Null()]),
    target: Type.Record(Type.String(), Type.Unknown()),
    outcome: Type.String(),
    detail: Type.Union([Type.String(), Type.Null()]),
  },
  { title: 'AuditEntry' },
);
const Grant = Type.Object({
  role: Type.Union(ROLES.map((role) => Type.Literal(role))),
  namespace: Type.String(),
});

/** Users and tokens and the audit trail (admin only) and `access.whoami`: answered by the broker, which keeps them. */
export const ACCESS_METHODS = {
  'user.add': declare({
    service: 'broker',
    role: 'admin',
    summary: 'adds a user with a password (stored as a scrypt hash only) and its grants',
    params: Params({ name: NonEmptyString, password: NonEmptyString, grants: Grants }),
    result: UserInfo,
  }),
  'user.list': declare({
    service: 'broker',
    role: 'admin',
    summary: 'every user and its grants',
    params: Params({}),
    result: Type.Object({ users: Type.Array(UserInfo) }),
  }),
  'user.delete': declare({
    service: 'broker',
    role: 'admin',
    summary: 'deletes a user',
    params: Params({ name: NonEmptyString }),
    result: Type.Object({ name: Type.String() }),
  }),
  'user.passwd': declare({
    service: 'broker',
    role: 'admin',
    summary: "changes a user's password",
    params: Params({ name: NonEmptyString, password: NonEmptyString }),
    result: Type.Object({ name: Type.String() }),
  }),
  'token.create': declare({
    service: 'broker',
    role: 'admin',
    summary: 'creates a token for a device or a script; its text is in this answer only',
    params: Params({ name: Type.Optional(NonEmptyString), grants: Grants }),
    result: Type.Composite([TokenInfo, Type.Object({ token: Type.String() })]),
  }),
  'token.list': declare({
    service: 'broker',
    role: 'admin',
    summary: 'every token that is not revoked (never their text)',
    params: Params({}),
    result: Type.Object({ tokens: Type.Array(TokenInfo) }),
  }),
  'token.revoke': declare({
    service: 'broker',
    role: 'admin',
    summary: 'revokes a token at once',
    params: Params({ id: NonEmptyString }),
    result: Type.Object({ id: Type.String() }),
  }),
  'audit.list': declare({
    service: 'broker',
    role: 'admin',
    summary: `the newest audit entries, oldest first (limit 1 to ${LIMITS.maxListLimit}, default ${LIMITS.defaultListLimit})`,
    params: Params({
      user: Type.Optional(NonEmptyString),
      action: Type.Optional(NonEmptyString),
      namespace: Type.Optional(NonEmptyString),
      since: Type.Optional(NonNegative('a non-negative integer (ms since the epoch)')),
      limit: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: LIMITS.maxListLimit,
          description: `an integer from 1 to ${LIMITS.maxListLimit}`,
        }),
      ),
    }),
    result: Type.Object({ entries: Type.Array(AuditEntry) }),
  }),
  'access.whoami': declare({
    service: 'broker',
    // Answered for any client, even one with no role: the role only documents the least a listing needs.
    role: 'viewer',
    summary: 'who the connection acts as, with its grants (any client may ask)',
    params: Params({}),
    result: Type.Object({ name: Type.String(), grants: Type.Array(Grant), clientId: Type.String() }),
  }),
};
