import { type TSchema, Type } from 'typebox';

/**
 * Characters no id or name may hold: C0 and C1 controls and DEL (NUL cannot even be stored in
 * PostgreSQL text), and the invisible ones that make two different values look alike or one look like
 * another: bidi marks, embeddings, overrides and isolates, zero-width spaces and joiners, the word
 * joiner and the byte order mark.
 */
const INVISIBLE = '\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200b-\\u200f\\u202a-\\u202e\\u2060\\u2066-\\u2069\\ufeff';

/** Text without those characters, and not only whitespace (empty is left to minLength). */
export const PRINTABLE = `^(?!\\s+$)[^${INVISIBLE}]*$`;

/** PRINTABLE for values checked in code rather than by a route schema (partner settings). */
export const PRINTABLE_TEXT = new RegExp(PRINTABLE, 'u');

export const Text = (maxLength: number, options: Record<string, unknown> = {}) =>
  Type.String({ minLength: 1, maxLength, pattern: PRINTABLE, ...options });

/** An optional request field that also accepts null (some integrations send null for "not set"). */
export const OptionalText = (maxLength: number, options: Record<string, unknown> = {}) =>
  Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], minLength: 1, maxLength, pattern: PRINTABLE, ...options }));

/** Amounts are decimal strings; their format and precision are checked against the asset later. */
export const OptionalAmount = (description: string) =>
  Type.Optional(
    Type.Unsafe<string | null>({ type: ['string', 'null'], minLength: 1, maxLength: 64, description, examples: ['100', '99.50'] }),
  );

export const ErrorBody = Type.Object(
  {
    error: Type.String({ examples: ['invalid_request'] }),
    code: Type.String({ examples: ['validation_error'] }),
    message: Type.String(),
    request_id: Type.String(),
    details: Type.Optional(Type.Array(Type.Object({ field: Type.String(), issue: Type.String() }))),
  },
  { description: 'Every error has this shape; request_id is also sent as X-Request-Id.' },
);

export const errorResponses = (...statuses: number[]): Record<number, TSchema> =>
  Object.fromEntries(statuses.map((status) => [status, ErrorBody]));

/** Route schema for the partner API: documented under "widget", authenticated by the client token. */
export const partnerSchema = (summary: string, extra: Record<string, unknown> = {}) => ({
  summary,
  tags: ['widget'],
  security: [{ clientToken: [] }],
  ...extra,
});

/** Route schema for the operator's API: documented under "admin", guarded by the admin token. */
export const adminSchema = (summary: string, extra: Record<string, unknown> = {}) => ({
  summary,
  tags: ['admin'],
  security: [{ adminToken: [] }],
  ...extra,
});
