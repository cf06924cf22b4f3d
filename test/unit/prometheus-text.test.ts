import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrometheusText, sampleSum } from '../prometheus-text.ts';

test('the test parser reads families, labels with escapes, and special values', () => {
  const families = parsePrometheusText(
    [
      '# HELP a_total Things.',
      '# TYPE a_total counter',
      'a_total{code="X",path="a\\"b\\\\c\\n"} 2',
      'a_total{code="Y"} 3',
      '# TYPE h histogram',
      'h_bucket{le="+Inf"} 1',
      'h_sum 0.5',
      'h_count 1',
      '',
    ].join('\n'),
  );
  assert.equal(families.get('a_total')!.help, 'Things.');
  assert.equal(families.get('a_total')!.samples[0]!.labels.path, 'a"b\\c\n');
  assert.equal(sampleSum(families, 'a_total'), 5);
  assert.equal(sampleSum(families, 'a_total', { code: 'Y' }), 3);
  assert.equal(sampleSum(families, 'h_bucket', { le: '+Inf' }), 1);
  assert.equal(sampleSum(families, 'missing'), 0);
});

test('the test parser refuses what Prometheus would refuse', () => {
  for (const bad of [
    'x 1\n', // a sample before its TYPE
    '# TYPE x counter\nx{a="1"} one\n', // not a number
    '# TYPE x counter\nx{a=1} 1\n', // unquoted label value
    '# TYPE x counter\ny 1\n', // outside its family
    '# TYPE x counter\nx{a="1",a="2"} 1\n', // a label twice
    '# TYPE x counter\nx 1', // no final newline
    '# TYPE x counters\n', // unknown type
  ]) {
    assert.throws(() => parsePrometheusText(bad), Error, bad);
  }
});
