import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { chmodSync } from 'node:fs';
import Database from 'better-sqlite3';
import { formatGrant, parseGrant, type Caller, type Grant } from '../protocol/access-roles.ts';
import { AIFlowError } from '../protocol/errors.ts';
import { parseAccessToken, formatAccessToken } from '../protocol/access-token.ts';
import { SCHEDULER_USERNAME } from '../protocol/topics.ts';

/** A user as listed: never its password. */
export interface UserInfo {
  name: string;
  grants: string[];
  createTime: number;
}

/** A token as listed: never its secret. */
export interface TokenInfo {
  id: string;
  name: string;
  grants: string[];
  createTime: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY,
  salt BLOB NOT NULL,
  hash BLOB NOT NULL,
  grants TEXT NOT NULL,
  create_time INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  salt BLOB NOT NULL,
  hash BLOB NOT NULL,
  grants TEXT NOT NULL,
  create_time INTEGER NOT NULL
);
`;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const KEY_BYTES = 32;
// scrypt's defaults (N=16384, r=8): about 50 ms on this machine class, run on libuv's pool, not the event loop.
const SCRYPT_OPTIONS = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const MIN_PASSWORD_LENGTH = 8;

interface SecretRow {
  salt: Buffer;
  hash: Buffer;
  grants: string;
}

/**
 * Users (name + password) and tokens (for devices and scripts), each with grants, in a small SQLite file. Passwords
 * and tokens are stored only as scrypt hashes with a salt of their own; checks run `crypto.scrypt` asynchronously so
 * a CONNECT never blocks the loop, and a verified login is remembered (keyed by a SHA-256 of name and secret, never
 * the secret itself) so a reconnect storm costs one hash per identity. Any change clears what was remembered.
 */
export class IdentityStore {
  readonly #db: Database.Database;
  readonly #verified = new Map<string, Caller>();

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  static open(file: string): IdentityStore {
    const db = new Database(file);
    // Hashes only, but nobody else's business: readable by the server's OS user alone.
    chmodSync(file, 0o600);
    db.exec(SCHEMA);
    return new IdentityStore(db);
  }

  /** The caller a login proves, or null. A password of the token form (`aft_<id>_<secret>`) is checked as a token. */
  async verify(username: string, password: string): Promise<Caller | null> {
    const key = createHash('sha256').update(username).update('\0').update(password).digest('base64');
    const known = this.#verified.get(key);
    if (known) return known;
    const token = parseAccessToken(password);
    const row = token
      ? (this.#db.prepare('SELECT salt, hash, grants, name FROM tokens WHERE id = ?').get(token.id) as
          (SecretRow & { name: string }) | undefined)
      : (this.#db.prepare('SELECT salt, hash, grants FROM users WHERE name = ?').get(username) as
          SecretRow | undefined);
    if (!row) return null;
    const name = token ? (row as SecretRow & { name: string }).name : username;
    // A token logs in under its own name (or its id), so `sender` shows which device it is.
    if (token && username !== name && username !== token.id) return null;
    const hash = await hashSecret(token ? token.secret : password, row.salt);
    if (!timingSafeEqual(hash, row.hash)) return null;
    const caller: Caller = { name, grants: parseGrants(row.grants) };
    this.#verified.set(key, caller);
    return caller;
  }

  /**
   * The user named by a verified client certificate (its common name): its grants, with no password, since the TLS
   * handshake proved who it is. Null when no such user exists.
   */
  certifiedUser(name: string): Caller | null {
    const row = this.#db.prepare('SELECT grants FROM users WHERE name = ?').get(name) as
      { grants: string } | undefined;
    return row ? { name, grants: parseGrants(row.grants) } : null;
  }

  hasUsers(): boolean {
    return this.#db.prepare('SELECT 1 FROM users LIMIT 1').get() !== undefined;
  }

  async addUser(name: string, password: string, grants: readonly Grant[]): Promise<UserInfo> {
    validateName(name);
    validatePassword(password);
    const grantText = grantsText(grants);
    if (this.#db.prepare('SELECT 1 FROM users WHERE name = ?').get(name)) {
      throw new AIFlowError('ALREADY_EXISTS', `user ${name} already exists`);
    }
    const salt = randomBytes(16);
    const hash = await hashSecret(password, salt);
    const createTime = Date.now();
    this.#db
      .prepare('INSERT INTO users (name, salt, hash, grants, create_time) VALUES (?, ?, ?, ?, ?)')
      .run(name, salt, hash, grantText, createTime);
    this.#verified.clear();
    return { name, grants: JSON.parse(grantText) as string[], createTime };
  }

  async setPassword(name: string, password: string): Promise<void> {
    validatePassword(password);
    const salt = randomBytes(16);
    const hash = await hashSecret(password, salt);
    const changed = this.#db
      .prepare('UPDATE users SET salt = ?, hash = ? WHERE name = ?')
      .run(salt, hash, name);
    if (changed.changes === 0) throw new AIFlowError('NOT_FOUND', `user ${name} does not exist`);
    this.#verified.clear();
  }

  deleteUser(name: string): void {
    const changed = this.#db.prepare('DELETE FROM users WHERE name = ?').run(name);
    if (changed.changes === 0) throw new AIFlowError('NOT_FOUND', `user ${name} does not exist`);
    this.#verified.clear();
  }

  listUsers(): UserInfo[] {
    const rows = this.#db
      .prepare('SELECT name, grants, create_time AS createTime FROM users ORDER BY name')
      .all() as { name: string; grants: string; createTime: number }[];
    return rows.map((row) => ({ ...row, grants: JSON.parse(row.grants) as string[] }));
  }

  /** Creates a token; its text is returned here only (stored hashed). */
  async createToken(
    name: string | undefined,
    grants: readonly Grant[],
  ): Promise<TokenInfo & { token: string }> {
    const id = randomBytes(6).toString('hex');
    const tokenName = name ?? `token-${id}`;
    validateName(tokenName);
    const grantText = grantsText(grants);
    const secret = randomBytes(24).toString('base64url');
    const salt = randomBytes(16);
    const hash = await hashSecret(secret, salt);
    const createTime = Date.now();
    this.#db
      .prepare('INSERT INTO tokens (id, name, salt, hash, grants, create_time) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, tokenName, salt, hash, grantText, createTime);
    return {
      id,
      name: tokenName,
      grants: JSON.parse(grantText) as string[],
      createTime,
      token: formatAccessToken({ id, secret }),
    };
  }

  listTokens(): TokenInfo[] {
    const rows = this.#db
      .prepare('SELECT id, name, grants, create_time AS createTime FROM tokens ORDER BY create_time, id')
      .all() as { id: string; name: string; grants: string; createTime: number }[];
    return rows.map((row) => ({ ...row, grants: JSON.parse(row.grants) as string[] }));
  }

  revokeToken(id: string): void {
    const changed = this.#db.prepare('DELETE FROM tokens WHERE id = ?').run(id);
    if (changed.changes === 0) throw new AIFlowError('NOT_FOUND', `token ${id} does not exist`);
    this.#verified.clear();
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

function hashSecret(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_BYTES, SCRYPT_OPTIONS, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

function validateName(name: string): void {
  if (!NAME.test(name) || name === SCHEDULER_USERNAME || name === 'anonymous') {
    throw new AIFlowError(
      'INVALID_REQUEST',
      `"${name}" is not a valid name: 1-64 letters, digits, ".", "_", "@" or "-", not ${SCHEDULER_USERNAME} or anonymous`,
    );
  }
}

function validatePassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AIFlowError('INVALID_REQUEST', `a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (parseAccessToken(password)) {
    throw new AIFlowError(
      'INVALID_REQUEST',
      'a password must not have the form of a token (aft_<id>_<secret>)',
    );
  }
}

function grantsText(grants: readonly Grant[]): string {
  if (grants.length === 0)
    throw new AIFlowError('INVALID_REQUEST', 'give at least one grant (role@namespace)');
  // Re-parsed so that a grant stored is always one `parseGrant` accepts.
  return JSON.stringify(grants.map((grant) => formatGrant(parseGrant(formatGrant(grant)))));
}

function parseGrants(text: string): Grant[] {
  return (JSON.parse(text) as string[]).map(parseGrant);
}
