/**
 * An access token's text: `aft_<id>_<secret>`. The id finds the stored hash (a token is looked up, never
 * scanned); the secret is checked against it. A device logs in with the token's name (or id) as user name and the
 * token as password: `mosquitto_pub -u sensor-1 -P aft_…`.
 */
export interface AccessToken {
  id: string;
  secret: string;
}

const TOKEN = /^aft_([0-9a-f]{12})_([A-Za-z0-9_-]{16,64})$/;

export function formatAccessToken(token: AccessToken): string {
  return `aft_${token.id}_${token.secret}`;
}

/** Undefined when the text is not of the token form. */
export function parseAccessToken(text: string): AccessToken | undefined {
  const match = TOKEN.exec(text);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}
