import { describe, expect, it } from 'vitest';
import { readEvents } from './embed-client.ts';
import type { EmbedState } from './embed-state.ts';

/** A response body that delivers `text` as UTF-8 bytes cut into chunks of `sizes` (repeating). */
function streamOf(text: string, sizes: number[] = [text.length]): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  const chunks: Uint8Array[] = [];
  for (let at = 0, turn = 0; at < bytes.length; turn++) {
    const size = sizes[turn % sizes.length]!;
    chunks.push(bytes.slice(at, at + size));
    at += size;
  }
  return new ReadableStream({
    pull(controller) {
      const chunk = chunks.shift();
      if (chunk) controller.enqueue(chunk);
      else controller.close();
    },
  });
}

async function read(body: ReadableStream<Uint8Array>): Promise<EmbedState[]> {
  const states: EmbedState[] = [];
  for await (const state of readEvents(body)) states.push(state);
  return states;
}

const first = { next_step: 'amount', note: 'prix réglé €' };
const second = { next_step: 'deposit', sell: { deposit: { address: 'T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb' } } };
const third = { next_step: 'result' };

/** What the platform sends: a state, a heartbeat, an event of another kind, states whose data spans lines. */
function conversation(newline: string): string {
  return [
    `event: state${newline}data: ${JSON.stringify(first)}${newline}${newline}`,
    `: heartbeat${newline}${newline}`,
    `event: ping${newline}data: {"next_step":"payment"}${newline}${newline}`,
    `data: {"next_step":"verification"}${newline}${newline}`,
    `id: 7${newline}event:state${newline}data:${JSON.stringify(second)}${newline}${newline}`,
    `event: state${newline}data: {${newline}data: "next_step": "result"${newline}data: }${newline}${newline}`,
  ].join('');
}

describe('readEvents', () => {
  it('yields the state events only, parsed, with LF line ends', async () => {
    expect(await read(streamOf(conversation('\n')))).toEqual([first, second, third]);
  });

  it('reads CRLF line ends alike', async () => {
    expect(await read(streamOf(conversation('\r\n')))).toEqual([first, second, third]);
  });

  it('whatever the chunks: one byte at a time, odd sizes, a line end or a character cut in two', async () => {
    for (const newline of ['\n', '\r\n']) {
      const text = conversation(newline);
      for (const sizes of [[1], [2], [3], [5, 1, 7], [13, 2], [64], [1, 100]]) {
        expect(await read(streamOf(text, sizes)), `${JSON.stringify(newline)} in chunks of ${sizes}`).toEqual([first, second, third]);
      }
    }
  });

  it('drops an event the stream ended in the middle of', async () => {
    const text = `event: state\ndata: ${JSON.stringify(first)}\n\nevent: state\ndata: {"next_step":`;
    expect(await read(streamOf(text, [7]))).toEqual([first]);
  });

  it('ends with nothing on an empty or heartbeat-only stream', async () => {
    expect(await read(streamOf(''))).toEqual([]);
    expect(await read(streamOf(': heartbeat\r\n\r\n: heartbeat\r\n\r\n', [3]))).toEqual([]);
  });
});
