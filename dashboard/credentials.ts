import { parseAccessToken } from '../protocol/access-token.ts';

/**
 * Login credentials for the MQTT CONNECT: from the URL fragment (`#token=…` or `#user=…&password=…`), from the login
 * form, or remembered for the tab (`credential-store.ts`). None: an anonymous connection.
 */
export interface Credentials {
  username: string;
  password: string;
}

/**
 * The login of a user name and password as typed. A token (`aft_<id>_<secret>`) logs in under its id when no user
 * name is given: the server takes a token's name or id as user name, and a password needs a user name
 * [MQTT-3.1.2-22].
 */
export function loginOf(username: string, password: string): Credentials {
  const token = username === '' ? parseAccessToken(password) : undefined;
  return { username: token ? token.id : username, password };
}

/** Reads credentials from a fragment such as `#token=aft_…` or `#user=ann&password=secret`; null if none. */
export function credentialsFromFragment(hash: string): Credentials | null {
  const fragment = hash.replace(/^#/, '');
  if (!/(^|&)(token|user)=/.test(fragment)) return null;
  const params = new URLSearchParams(fragment);
  const token = params.get('token');
  if (token) return loginOf('', token);
  const user = params.get('user');
  return user ? { username: user, password: params.get('password') ?? '' } : null;
}
