import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { OutageLog } from './outage-log.ts';

function collect() {
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: pino({ level: 'debug' }, stream) };
}

describe('OutageLog', () => {
  it('warns once per outage, logs the repeats at debug, and says when the store answers again', () => {
    const { lines, logger } = collect();
    const log = new OutageLog(logger, 'rate limit (widget)');
    log.answered(); // no outage: nothing to say
    for (let i = 0; i < 5; i++) log.failed(new Error('connection refused'), 'counting a request');
    log.answered();
    log.answered();
    log.failed(new Error('timeout'), 'counting a request');
    const levels = (level: number) => lines.filter((line) => line.level === level);
    expect(levels(40).map((line) => line.msg)).toEqual([
      'rate limit (widget): the store did not answer (counting a request); limited requests go through uncounted until it does',
      'rate limit (widget): the store did not answer (counting a request); limited requests go through uncounted until it does',
    ]);
    expect(levels(20)).toHaveLength(4);
    expect(levels(30).map((line) => line.msg)).toEqual(['rate limit (widget): the store answers again']);
  });
});
