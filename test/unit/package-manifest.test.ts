import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ROOT } from '../helpers.ts';

interface Manifest {
  version: string;
  dependencies: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
}

const read = (path: string) => JSON.parse(readFileSync(`${ROOT}/${path}`, 'utf8')) as Manifest;
const server = read('package.json');
const client = read('client/package.json');

test('the client package has the version of the server package and the same MQTT.js and TypeBox ranges', () => {
  assert.equal(client.version, server.version);
  assert.equal(client.dependencies.mqtt, server.dependencies.mqtt);
  // The request method declarations in protocol/ are built into both packages.
  assert.equal(client.dependencies['@sinclair/typebox'], server.dependencies['@sinclair/typebox']);
});

test('every entry resolves to its sources under the source condition, and to dist/ with types otherwise', () => {
  for (const [entry, target] of Object.entries(server.exports)) {
    if (entry === './package.json') continue;
    const name = entry.slice(2);
    assert.deepEqual(target, {
      'aiflow-source': `./${name}/index.ts`,
      types: `./dist/${name}/index.d.ts`,
      import: `./dist/${name}/index.js`,
    });
  }
});
