import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { IdentityStore } from '../../broker/identity-store.ts';
import { parseGrant } from '../../protocol/access-roles.ts';
import { tempDir } from '../helpers.ts';

const grants = (...texts: string[]) => texts.map(parseGrant);

test('users and tokens verify, are stored only as salted hashes, and a change forgets remembered logins', async (t) => {
  const file = join(tempDir(t), 'access.db');
  const store = IdentityStore.open(file);
  t.after(() => store.close());
  await store.addUser('alice', 'correct horse', grants('operator@plant-1'));
  await store.addUser('bob', 'correct horse', grants('viewer@*'));
  const created = await store.createToken('pump-3', grants('publisher@plant-1'));

  assert.deepEqual(await store.verify('alice', 'correct horse'), {
    name: 'alice',
    grants: [{ role: 'operator', namespace: 'plant-1' }],
  });
  assert.equal(await store.verify('alice', 'wrong horse'), null);
  assert.equal(await store.verify('carol', 'correct horse'), null);
  assert.equal((await store.verify('pump-3', created.token))?.name, 'pump-3');
  assert.equal((await store.verify(created.id, created.token))?.name, 'pump-3', 'the id works as user name');
  assert.equal(await store.verify('alice', created.token), null, 'a token logs in under its own name only');

  const raw = readFileSync(file);
  assert.ok(!raw.includes('correct horse'), 'no password in the file');
  assert.ok(!raw.includes(created.token.slice(-20)), 'no token secret in the file');

  await store.setPassword('alice', 'battery staple');
  assert.equal(await store.verify('alice', 'correct horse'), null, 'the old password stops working at once');
  assert.equal((await store.verify('alice', 'battery staple'))?.name, 'alice');
  store.revokeToken(created.id);
  assert.equal(await store.verify('pump-3', created.token), null, 'a revoked token stops working at once');
  store.deleteUser('alice');
  assert.equal(await store.verify('alice', 'battery staple'), null);
  assert.deepEqual(
    store.listUsers().map((u) => u.name),
    ['bob'],
  );
});

test('names, passwords and grants are validated with stable codes', async (t) => {
  const store = IdentityStore.open(join(tempDir(t), 'access.db'));
  t.after(() => store.close());
  await assert.rejects(store.addUser('aiflow-scheduler', 'long enough', grants('viewer@x')), {
    code: 'INVALID_REQUEST',
  });
  await assert.rejects(store.addUser('a b', 'long enough', grants('viewer@x')), { code: 'INVALID_REQUEST' });
  await assert.rejects(store.addUser('carol', 'short', grants('viewer@x')), { code: 'INVALID_REQUEST' });
  await assert.rejects(store.addUser('carol', 'long enough', []), { code: 'INVALID_REQUEST' });
  await store.addUser('carol', 'long enough', grants('viewer@x'));
  await assert.rejects(store.addUser('carol', 'long enough', grants('viewer@x')), { code: 'ALREADY_EXISTS' });
  assert.throws(() => store.revokeToken('000000000000'), { code: 'NOT_FOUND' });
});
