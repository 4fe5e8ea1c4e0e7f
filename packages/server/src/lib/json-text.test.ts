import { describe, expect, it } from 'vitest';
import { findJsonTextProblem, LONE_SURROGATE, REPEATED_KEY } from './json-text.ts';

const repeated = (field: string) => ({ field, issue: REPEATED_KEY });
const lone = (field: string) => ({ field, issue: LONE_SURROGATE });

describe('findJsonTextProblem: repeated keys', () => {
  it.each([
    ['{"a":1,"a":2}', 'a'],
    ['{"a":1,"b":{"c":[]},"a":1}', 'a'],
    ['{"a":{"b":1,"b":1}}', 'a.b'],
    ['[{"a":1},{"a":1,"a":2}]', '1.a'],
    ['{"x":[[],[{"k":"v"}],{"k":1,"k":2}]}', 'x.2.k'],
    ['{"\\u0061":1,"a":2}', 'a'],
    ['{"a":1,"\\u0061":2}', 'a'],
    ['{"\\"":1,"\\u0022":2}', '"'],
    ['{"":1,"":2}', ''],
  ])('finds the repeat in %s', (text, field) => {
    expect(findJsonTextProblem(text)).toEqual(repeated(field));
  });

  it.each([
    '{"a":1,"b":2}',
    '{"a":{"a":{"a":1}},"b":{"a":1}}',
    '[{"a":1},{"a":1}]',
    '{"a":"a","b":"a"}',
    '{"a":"\\"a\\":1,","b":"{\\"a\\":2}"}',
    '{"a\\\\":1,"a":2}',
    '{"A":1,"a":2}',
    '{"é":1,"e\\u0301":2}',
    '{"a":[1,2,{"b":[{"c":null}]}],"b":true,"c":-1.5e3}',
    '"a"',
    '[]',
    '{}',
    '  { "a" : 1 , "b" : [ { } , [ ] ] }  ',
  ])('accepts %s', (text) => {
    expect(findJsonTextProblem(text)).toBeNull();
  });

  it('finds repeats in objects of any size, and stays linear on a wide one', () => {
    const wide = (count: number, extra = '') => `{${Array.from({ length: count }, (_, i) => `"k${i}":${i}`).join(',')}${extra}}`;
    expect(findJsonTextProblem(wide(16, ',"k0":1'))).toEqual(repeated('k0'));
    expect(findJsonTextProblem(wide(17, ',"k16":1'))).toEqual(repeated('k16'));
    expect(findJsonTextProblem(wide(40, ',"k3":1'))).toEqual(repeated('k3'));
    const started = performance.now();
    expect(findJsonTextProblem(wide(6_000))).toBeNull();
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('copes with deep nesting without recursion', () => {
    expect(findJsonTextProblem(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toBeNull();
    expect(findJsonTextProblem(`${'{"a":'.repeat(10_000)}{"b":1,"b":2}${'}'.repeat(10_000)}`)).toEqual(repeated(`${'a.'.repeat(10_000)}b`));
  });
});

describe('findJsonTextProblem: lone surrogates', () => {
  it.each([
    ['{"a":"\\ud800"}', 'a'],
    ['{"a":"x\\uDBFFy"}', 'a'],
    ['{"a":"\\udc00"}', 'a'],
    ['{"a":"\\ude42\\ud83d"}', 'a'],
    ['{"a":"\\ud83d"}', 'a'],
    ['{"a":"\\ud83d\\u0041"}', 'a'],
    ['{"a":"\\ud800\\ud800"}', 'a'],
    ['{"a":["ok","\\ud800"]}', 'a.1'],
    ['{"a":{"\\ud800":1}}', 'a.\ud800'],
    ['"\\ud800"', 'body'],
    ['["\\udfff"]', '0'],
  ])('finds it in %s', (text, field) => {
    expect(findJsonTextProblem(text)).toEqual(lone(field));
  });

  it.each([
    '{"a":"\\ud83d\\ude42"}',
    '{"a":"\\uD83D\\uDE42 and 🙂"}',
    '{"a":"\\\\ud800"}',
    '{"a":"\\u00e9\\n\\t\\"\\\\\\/"}',
    '{"a":"\\ue000\\uffff"}',
  ])('accepts %s', (text) => {
    expect(findJsonTextProblem(text)).toBeNull();
  });
});
