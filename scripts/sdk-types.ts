import { compile, type JSONSchema } from 'json-schema-to-typescript';

type OpenApiDocument = {
  paths?: Record<string, Record<string, any>>;
  components?: { schemas?: Record<string, unknown> };
};

/** Where each SDK type comes from in the served document: an operation's body or answer, or a named component. */
const SOURCES: Record<string, { path: string; method: string; part: 'request' | '200' } | { component: string }> = {
  SessionParams: { path: '/widget/session', method: 'post', part: 'request' },
  SessionResponse: { path: '/widget/session', method: 'post', part: '200' },
  Transaction: { path: '/widget/transactions/{merchant_transaction_id}', method: 'get', part: '200' },
  KycStatus: { path: '/widget/users/{partner_user_id}/kyc-status', method: 'get', part: '200' },
  TransactionUpdate: { component: 'TransactionUpdate' },
  WebhookTestEvent: { component: 'WebhookTestEvent' },
};

export const SDK_TYPES_FILE = 'packages/sdk-node/src/generated/api-types.ts';

/**
 * The partner SDK's wire types, generated from the server's OpenAPI document, so the server and the
 * SDK cannot drift apart: a test regenerates this from the served /openapi.json and compares.
 */
export async function renderSdkTypes(document: OpenApiDocument): Promise<string> {
  const parts = ["/* Generated from the server's OpenAPI document by `npm run generate:sdk-types`; do not edit by hand. */\n"];
  for (const [name, source] of Object.entries(SOURCES)) {
    const schema = structuredClone(pick(document, source)) as JSONSchema;
    delete schema.title;
    parts.push(
      await compile(schema, name, {
        bannerComment: '',
        additionalProperties: false,
        declareExternallyReferenced: true,
        format: true,
        style: { singleQuote: true, printWidth: 120 },
      }),
    );
  }
  return parts.join('\n');
}

function pick(document: OpenApiDocument, source: (typeof SOURCES)[string]): unknown {
  if ('component' in source) return required(document.components?.schemas?.[source.component], `component ${source.component}`);
  const operation = required(document.paths?.[source.path]?.[source.method], `${source.method.toUpperCase()} ${source.path}`);
  const container = source.part === 'request' ? operation.requestBody : operation.responses?.[source.part];
  return required(container?.content?.['application/json']?.schema, `${source.part} of ${source.method.toUpperCase()} ${source.path}`);
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the OpenAPI document has no ${what}`);
  return value;
}
