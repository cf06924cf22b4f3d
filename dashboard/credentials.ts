/**
 * Login credentials for the MQTT CONNECT: from the URL fragment (`#token=…` or `#user=…&password=…`), from the login
 * form, or remembered for the tab (`credential-store.ts`). None: an anonymous connection.
 */
export interface Credentials {
  username: string;
  password: string;
}

/** The MQTT user name a bare token logs in with ([MQTT-3.1.2-22]: a password needs a user name). */
export const TOKEN_USERNAME = 'token';

/** Reads credentials from a fragment such as `#token=abc` or `#user=ann&password=secret`; null if none. */
export function credentialsFromFragment(hash: string): Credentials | null {
  const fragment = hash.replace(/^#/, '');
  if (!/(^|&)(token|user)=/.test(fragment)) return null;
  const params = new URLSearchParams(fragment);
  const token = params.get('token');
  if (token) return { username: TOKEN_USERNAME, password: token };
  const user = params.get('user');
  return user ? { username: user, password: params.get('password') ?? '' } : null;
}
