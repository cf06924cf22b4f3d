import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AIFlowError } from '../../protocol/errors.ts';
import { parseRpcRequest, peekRequestId } from '../../protocol/rpc-request.ts';
import { parseRpcReply } from '../../protocol/rpc.ts';

const request = (body: unknown) => parseRpcRequest(Buffer.from(JSON.stringify(body)));
const code = (code: string) => (error: unknown) => error instanceof AIFlowError && error.code === code;

test('parses each method with its parameters', () => {
  assert.deepEqual(
    request({ id: '1', method: 'events.send', params: { namespace: 'default', key: 'k' } }).params,
    { namespace: 'default', key: 'k', value: '' },
  );
  const list = request({
    id: '2',
    method: 'events.list',
    params: {
      namespace: 'n',
      keys: ['a', 'b'],
      sender: 's',
      beginOffset: 1,
      endOffset: 9,
      beginTime: 5,
      limit: 10,
    },
  });
  assert.deepEqual(list.params, {
    namespace: 'n',
    keys: ['a', 'b'],
    sender: 's',
    beginOffset: 1,
    endOffset: 9,
    beginTime: 5,
    limit: 10,
  });
  assert.equal(request({ id: '3', method: 'events.count' }).method, 'events.count');
  assert.deepEqual(request({ id: '4', method: 'events.timeToOffset', params: { time: 7 } }).params, {
    time: 7,
  });
  assert.equal(request({ id: '5', method: 'events.list', replyTo: 'me' }).replyTo, 'me');
});

test('rejects malformed requests with INVALID_REQUEST', () => {
  assert.throws(() => parseRpcRequest(Buffer.from('not json')), code('INVALID_REQUEST'));
  assert.throws(() => request([1]), code('INVALID_REQUEST'));
  assert.throws(() => request({ method: 'events.list' }), code('INVALID_REQUEST'));
  assert.throws(() => request({ id: 'x'.repeat(129), method: 'events.list' }), code('INVALID_REQUEST'));
  assert.throws(() => request({ id: '1', method: 'events.list', params: [] }), code('INVALID_REQUEST'));
  assert.throws(
    () => request({ id: '1', method: 'events.list', params: { beginOffset: -1 } }),
    code('INVALID_REQUEST'),
  );
  assert.throws(
    () => request({ id: '1', method: 'events.list', params: { limit: 0 } }),
    code('INVALID_REQUEST'),
  );
  assert.throws(
    () => request({ id: '1', method: 'events.list', params: { limit: 10_001 } }),
    code('INVALID_REQUEST'),
  );
  assert.throws(
    () => request({ id: '1', method: 'events.list', params: { keys: 'k' } }),
    code('INVALID_REQUEST'),
  );
  assert.throws(
    () => request({ id: '1', method: 'events.send', params: { key: 'k' } }),
    code('INVALID_REQUEST'),
  );
  assert.throws(
    () => request({ id: '1', method: 'events.send', params: { namespace: 'd', key: 'k', value: 3 } }),
    code('INVALID_REQUEST'),
  );
});

test('rejects unknown methods and invalid names', () => {
  assert.throws(() => request({ id: '1', method: 'events.drop' }), code('UNKNOWN_METHOD'));
  assert.throws(
    () => request({ id: '1', method: 'events.list', params: { namespace: 'a b' } }),
    code('INVALID_NAMESPACE'),
  );
  assert.throws(
    () => request({ id: '1', method: 'events.send', params: { namespace: 'd', key: '#' } }),
    code('INVALID_KEY'),
  );
});

test('reads replies and the id of a bad request', () => {
  assert.deepEqual(parseRpcReply(Buffer.from('{"id":"1","result":{"offset":3}}')), {
    id: '1',
    result: { offset: 3 },
  });
  assert.deepEqual(parseRpcReply(Buffer.from('{"id":"1","error":{"code":"TIMEOUT","message":"m"}}')), {
    id: '1',
    error: { code: 'TIMEOUT', message: 'm' },
  });
  assert.equal(parseRpcReply(Buffer.from('garbage')), undefined);
  assert.equal(peekRequestId(Buffer.from('{"id":"7","method":1}')), '7');
  assert.equal(peekRequestId(Buffer.from('nope')), undefined);
});
