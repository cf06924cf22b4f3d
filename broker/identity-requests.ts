import { parseGrant } from '../protocol/access-roles.ts';
import { AIFlowError } from '../protocol/errors.ts';
import type { ParsedParams } from '../protocol/request-methods.ts';
import type { RpcRequest } from '../protocol/rpc.ts';
import type { IdentityStore } from './identity-store.ts';
import type { Logger } from './logger.ts';

type Params<M extends 'user.add' | 'user.delete' | 'user.passwd' | 'token.create' | 'token.revoke'> =
  ParsedParams<M>;

/** The user and token methods (`user.*`, `token.*`); the caller was checked (admin) before. */
export async function handleIdentityRequest(
  identities: IdentityStore | null,
  request: RpcRequest,
  by: string,
  logger: Logger,
): Promise<unknown> {
  if (identities === null) {
    throw new AIFlowError('CONFLICT', 'access control is off on this broker: there are no users or tokens');
  }
  const p = request.params as Record<string, unknown>;
  switch (request.method) {
    case 'user.add': {
      const { name, password, grants } = p as Params<'user.add'>;
      const user = await identities.addUser(name, password, grants.map(parseGrant));
      logger.info('user added', { user: name, grants: user.grants.join(' '), by });
      return user;
    }
    case 'user.list':
      return { users: identities.listUsers() };
    case 'user.delete': {
      const { name } = p as Params<'user.delete'>;
      identities.deleteUser(name);
      logger.info('user deleted', { user: name, by });
      return { name };
    }
    case 'user.passwd': {
      const { name, password } = p as Params<'user.passwd'>;
      await identities.setPassword(name, password);
      logger.info('password changed', { user: name, by });
      return { name };
    }
    case 'token.create': {
      const { name, grants } = p as Params<'token.create'>;
      const token = await identities.createToken(name, grants.map(parseGrant));
      logger.info('token created', { token: token.id, name: token.name, grants: token.grants.join(' '), by });
      return token;
    }
    case 'token.list':
      return { tokens: identities.listTokens() };
    case 'token.revoke': {
      const { id } = p as Params<'token.revoke'>;
      identities.revokeToken(id);
      logger.info('token revoked', { token: id, by });
      return { id };
    }
    default:
      throw new AIFlowError('UNKNOWN_METHOD', `unknown method ${JSON.stringify(request.method)}`);
  }
}
