/** File in the server's home holding the first admin's login (mode 0600): `{"username", "password"}`. */
export const ADMIN_CREDENTIAL_FILE = 'admin.credential';

/** The default admin user made on a server's first start. */
export const ADMIN_USERNAME = 'admin';

export interface Credentials {
  username: string;
  password: string;
}

/** Undefined when the text is not a credential file. */
export function parseCredentialFile(text: string): Credentials | undefined {
  try {
    const raw = JSON.parse(text) as Partial<Credentials>;
    if (typeof raw.username === 'string' && typeof raw.password === 'string') {
      return { username: raw.username, password: raw.password };
    }
  } catch {
    return undefined;
  }
  return undefined;
}
