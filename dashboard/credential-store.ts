import type { Credentials } from './credentials.ts';

/** Credentials are remembered for the tab only (sessionStorage): closing it logs out. */
const STORAGE_KEY = 'aiflow.credentials';

export function storedCredentials(): Credentials | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    const parsed = raw ? (JSON.parse(raw) as Partial<Credentials>) : null;
    return parsed && typeof parsed.username === 'string' && typeof parsed.password === 'string'
      ? { username: parsed.username, password: parsed.password }
      : null;
  } catch {
    return null;
  }
}

export function rememberCredentials(credentials: Credentials | null): void {
  if (credentials) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(credentials));
  else sessionStorage.removeItem(STORAGE_KEY);
}
