import { Writable } from 'node:stream';
import pino from 'pino';

/** A logger for `platformOptions.logger` that keeps the lines the platform wrote, parsed. */
export function logCollector(level: pino.Level = 'warn') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: pino({ level }, stream) };
}
