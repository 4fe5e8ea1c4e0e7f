import type { FastifyInstance } from 'fastify';
import { ApiError, invalidField } from '../lib/errors.ts';
import { findJsonTextProblem } from '../lib/json-text.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON bodies are read strictly, so that one request cannot mean two things: bytes that are not
 * UTF-8 are refused (decoding would turn each into U+FFFD, making different ids equal), and so are a
 * repeated key and a lone surrogate escape (lib/json-text.ts). Parsing itself, prototype poisoning
 * checks included, stays Fastify's own.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, raw, done) => {
    let text: string;
    try {
      text = utf8.decode(raw as Buffer);
    } catch {
      done(new ApiError('decode_error', 'The body is not valid UTF-8.'), undefined);
      return;
    }
    parseJson(request, text, (error, value) => {
      if (error) return done(error, undefined);
      const problem = findJsonTextProblem(text);
      if (problem) return done(invalidField(problem.field, problem.issue), undefined);
      done(null, value);
    });
  });
}
