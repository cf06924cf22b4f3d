import { parseGrant } from '../protocol/access-roles.ts';
import { AIFlowError } from '../protocol/errors.ts';
import type { ParsedParams, RequestResult } from '../protocol/request-methods.ts';
import type { IdentityStore } from './identity-store.ts';
import type { Logger } from './logger.ts';

type IdentityMethod =
  'user.add' | 'user.list' | 'user.delete' | 'user.passwd' | 'token.create' | 'token.list' | 'token.revoke';

/** What a user or token method needs: the store (null when access control is off), who asks, the log. */
export interface IdentityRequestContext {
  identities: IdentityStore | null;
  whoami: { name: string };
  logger: Logger;
}

function storeOf(c: IdentityRequestContext): IdentityStore {
  if (c.identities === null) {
    throw new AIFlowError('CONFLICT', 'access control is off on this broker: there are no users or tokens');
  }
  return c.identities;
}

/** The user and token methods (`user.*`, `token.*`) as broker handlers; the caller was checked (admin) before. */
export const IDENTITY_HANDLERS: {
  [M in IdentityMethod]: (params: ParsedParams<M>, c: IdentityRequestContext) => Promise<RequestResult<M>>;
} = {
  'user.add': async ({ name, password, grants }, c) => {
    const user = await storeOf(c).addUser(name, password, grants.map(parseGrant));
    c.logger.info('user added', { user: name, grants: user.grants.join(' '), by: c.whoami.name });
    return user;
  },
  'user.list': async (_p, c) => ({ users: storeOf(c).listUsers() }),
  'user.delete': async ({ name }, c) => {
    storeOf(c).deleteUser(name);
    c.logger.info('user deleted', { user: name, by: c.whoami.name });
    return { name };
  },
  'user.passwd': async ({ name, password }, c) => {
    await storeOf(c).setPassword(name, password);
    c.logger.info('password changed', { user: name, by: c.whoami.name });
    return { name };
  },
  'token.create': async ({ name, grants }, c) => {
    const token = await storeOf(c).createToken(name, grants.map(parseGrant));
    const logged = { token: token.id, name: token.name, grants: token.grants.join(' '), by: c.whoami.name };
    c.logger.info('token created', logged);
    return token;
  },
  'token.list': async (_p, c) => ({ tokens: storeOf(c).listTokens() }),
  'token.revoke': async ({ id }, c) => {
    storeOf(c).revokeToken(id);
    c.logger.info('token revoked', { token: id, by: c.whoami.name });
    return { id };
  },
};
