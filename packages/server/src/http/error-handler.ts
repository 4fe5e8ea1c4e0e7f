import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { API_ERRORS, ApiError, type ApiErrorCode, type ErrorDetail } from '../lib/errors.ts';
import { randomBase62 } from '../lib/ids.ts';
import { ProviderError } from '../lib/provider-error.ts';

/**
 * Every failure leaves as {error, code, message, request_id[, details]} with the id also in
 * X-Request-Id. Bad input is always a 4xx: framework errors (parsing, validation, size, media type)
 * are translated here, and only a genuine fault of ours becomes a 500, logged with its stack.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = toApiError(error);
    if (error instanceof ProviderError) {
      // The adapter's own words and the cause's, not the cause object: it could carry request details.
      const cause = error.cause instanceof Error ? error.cause.message : undefined;
      const fields = { provider: error.provider, kind: error.kind, retryable: error.retryable, cause };
      request.log.warn(fields, `provider ${error.provider} failed: ${error.message}`);
    } else if (apiError.status >= 500 && apiError.code === 'internal_error') {
      request.log.error({ err: error }, 'unhandled error');
    }
    return sendError(request, reply, apiError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, new ApiError('not_found', `No route for ${request.method} ${request.url.split('?')[0]}.`)),
  );
}

/**
 * Errors Fastify raises before routing (a URL that does not percent-decode, an over-long path
 * parameter) skip the hooks and the error handler; this keeps them in the documented shape.
 */
export function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  reply.header('x-request-id', request.id);
  return sendError(request, reply, toApiError(error));
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: ApiError) {
  if (error.headers) reply.headers(error.headers);
  return reply.status(error.status).send({
    error: error.error,
    code: error.code,
    message: error.message,
    request_id: request.id,
    ...(error.details ? { details: error.details } : {}),
  });
}

/**
 * An adapter's ProviderError becomes one of the documented 502s (lib/errors.ts). The partner reads
 * whether a retry can help; which provider failed and why stays in our logs.
 */
function fromProviderError(error: ProviderError): ApiError {
  const retry = error.retryable ? 'retry with the same request.' : 'retrying it will not help.';
  switch (error.kind) {
    case 'unavailable':
      return new ApiError('upstream_unavailable', `A provider we depend on is unavailable right now; ${retry}`);
    case 'invalid_response':
      return new ApiError('upstream_invalid_response', `A provider we depend on gave an answer we could not use; ${retry}`);
    case 'rejected':
      return new ApiError('provider_error', `A provider we depend on declined this request; ${retry}`);
  }
}

function toApiError(error: FastifyError | ProviderError): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ProviderError) return fromProviderError(error);
  if (error.validation) return fromValidation(error);
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('body_too_large', 'The request body is too large.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_media_type', 'Send the body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('decode_error', 'The body is empty; send a JSON object.');
    case 'FST_ERR_BAD_URL':
      return new ApiError('decode_error', 'The URL is not validly percent-encoded.');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ApiError('validation_error', 'A path parameter is too long.', { details: [{ field: 'path', issue: 'is too long' }] });
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new ApiError('decode_error', 'The body is not valid JSON.');
  }
  const status = error.statusCode ?? 500;
  if (status === 404) return new ApiError('not_found', 'Not found.');
  if (status >= 400 && status < 500) return new ApiError('decode_error', 'The request could not be read.');
  return new ApiError('internal_error', 'Something went wrong on our side; the request id helps us find it.');
}

function fromValidation(error: FastifyError): ApiError {
  const details: ErrorDetail[] = (error.validation ?? []).map((issue) => {
    const params = issue.params as Record<string, unknown>;
    const base = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
    switch (issue.keyword) {
      case 'required':
        return { field: join(base, String(params.missingProperty)), issue: 'is required' };
      case 'additionalProperties':
        return { field: join(base, String(params.additionalProperty)), issue: 'is not a known field' };
      case 'enum':
        return {
          field: base || error.validationContext || 'body',
          issue: `must be one of: ${(params.allowedValues as unknown[]).filter((value) => value !== null).join(', ')}`,
        };
      case 'type':
        return { field: base || error.validationContext || 'body', issue: `must be ${String(params.type).replace(',', ' or ')}` };
      case 'pattern':
        return { field: base, issue: 'contains characters that are not allowed' };
      default:
        return { field: base || error.validationContext || 'body', issue: issue.message ?? 'is invalid' };
    }
  });
  const missing = (error.validation ?? []).some((issue) => issue.keyword === 'required');
  const summary = details.map((detail) => `${detail.field} ${detail.issue}`).join('; ');
  return new ApiError(missing ? 'missing_param' : 'validation_error', summary || 'The request is invalid.', { details });
}

function join(base: string, name: string): string {
  return base ? `${base}.${name}` : name;
}

/**
 * What Node's HTTP parser refuses before Fastify sees a request (a stalled or oversized request,
 * malformed bytes) still answers in the documented shape with an X-Request-Id, then closes.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, message]: [keyof typeof API_ERRORS, string] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ['request_timeout', 'The request did not arrive in time.']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? ['headers_too_large', 'The request headers are too large.']
        : ['decode_error', 'The request is not valid HTTP.'];
  answerOnSocket(socket, code, message);
}

/**
 * Writes the documented error body, with an X-Request-Id, straight to a connection no request object
 * answers (a refused request, an upgrade), then closes it. `headers`: more, e.g. Retry-After.
 */
export function answerOnSocket(socket: Duplex, code: ApiErrorCode, message: string, headers: Record<string, string> = {}): void {
  const requestId = `req_${randomBase62(20)}`;
  const { status, error: slug } = API_ERRORS[code];
  const body = JSON.stringify({ error: slug, code, message, request_id: requestId });
  const more = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nX-Content-Type-Options: nosniff\r\n` +
        `${more}Connection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
