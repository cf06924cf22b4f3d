import assert from 'node:assert/strict';
import { test } from 'node:test';
import { credentialsFromFragment, loginOf } from '../../dashboard/credentials.ts';
import { href, parseRoute } from '../../dashboard/route.ts';
import { topicMatches } from '../../dashboard/topic-filter.ts';

test('topic filters match as MQTT defines them', () => {
  assert.ok(topicMatches('ns/+/#', 'ns/default/a/b'));
  assert.ok(topicMatches('ns/default/#', 'ns/default/$task/wf/t'));
  assert.ok(topicMatches('ns/+/$workflow/+', 'ns/plant-1/$workflow/etl'));
  assert.ok(topicMatches('ns/default/key', 'ns/default/key'));
  assert.ok(!topicMatches('ns/default/key', 'ns/default/key/more'));
  assert.ok(!topicMatches('ns/+/$workflow/+', 'ns/default/$workflow/etl/x'));
  assert.ok(!topicMatches('ns/other/#', 'ns/default/key'));
  assert.ok(topicMatches('ns/default/#', 'ns/default'), '# also matches the parent level [MQTT-4.7.1-2]');
});

test('credentials come from a token or a user and password in the fragment, never from a route', () => {
  const token = 'aft_0123456789ab_' + 'S'.repeat(32);
  // The server takes a token's id (or name) as user name.
  assert.deepEqual(credentialsFromFragment(`#token=${token}`), { username: '0123456789ab', password: token });
  // Not of the token form: no user name, which the page refuses before connecting.
  assert.deepEqual(credentialsFromFragment('#token=abc%2Fdef'), { username: '', password: 'abc/def' });
  assert.deepEqual(credentialsFromFragment('#user=ann&password=s%26cret'), {
    username: 'ann',
    password: 's&cret',
  });
  assert.deepEqual(credentialsFromFragment('#user=ann'), { username: 'ann', password: '' });
  assert.equal(credentialsFromFragment('#/execution/12?task=3'), null);
  assert.equal(credentialsFromFragment(''), null);
});

test('a token typed as password without a user name logs in under its id; a user name given is kept', () => {
  const token = 'aft_0123456789ab_' + 'S'.repeat(32);
  assert.deepEqual(loginOf('', token), { username: '0123456789ab', password: token });
  assert.deepEqual(loginOf('sensor-1', token), { username: 'sensor-1', password: token });
  assert.deepEqual(loginOf('ann', 'secret'), { username: 'ann', password: 'secret' });
});

test('routes round-trip names with slashes and spaces', () => {
  const link = href('workflow', 'plant-1', 'a b/c');
  assert.deepEqual(parseRoute(link).parts, ['workflow', 'plant-1', 'a b/c']);
  const { parts, query } = parseRoute('#/execution/12?task=3');
  assert.deepEqual(parts, ['execution', '12']);
  assert.equal(query.get('task'), '3');
  assert.deepEqual(parseRoute('').parts, []);
});
