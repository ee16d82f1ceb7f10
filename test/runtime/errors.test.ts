import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MicroError,
  badRequest,
  isRetryable,
  notFound,
  parseError,
  timeout,
  toMicroError,
} from '../../src/runtime/errors.ts';

describe('errors', () => {
  it('serialises to exactly {id, code, detail, status}', () => {
    const e = notFound('greeter', 'no such thing');
    assert.deepEqual(JSON.parse(JSON.stringify(e)), {
      id: 'greeter',
      code: 404,
      detail: 'no such thing',
      status: 'Not Found',
    });
  });

  it('maps a thrown Error to a 500 carrying only its message, never its stack', () => {
    const e = toMicroError(new Error('disk full'), 'svc');
    assert.equal(e.code, 500);
    assert.equal(e.detail, 'disk full');
    assert.doesNotMatch(JSON.stringify(e), /at |\.ts:/);
  });

  it('keeps a MicroError thrown by a handler as it is', () => {
    const e = badRequest('svc', 'name is required');
    assert.equal(toMicroError(e, 'other'), e);
  });

  it('parses error JSON back, and wraps text that is not an error', () => {
    assert.deepEqual(
      parseError('{"id":"a","code":409,"detail":"taken","status":"Conflict"}', 'x').toJSON(),
      { id: 'a', code: 409, detail: 'taken', status: 'Conflict' },
    );
    const wrapped = parseError('<html>bad gateway</html>', 'x');
    assert.equal(wrapped.code, 500);
    assert.equal(wrapped.detail, '<html>bad gateway</html>');
  });

  it('calls 408 and 5xx retryable, 4xx not', () => {
    assert.ok(isRetryable(timeout('a', 'slow')));
    assert.ok(isRetryable(new MicroError('a', 503, 'down')));
    assert.ok(!isRetryable(badRequest('a', 'bad')));
  });
});
