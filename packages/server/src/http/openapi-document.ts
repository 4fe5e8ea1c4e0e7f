import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { WebhookTestEventSchema } from '../modules/delivery/webhook-payloads.ts';
import { TransactionUpdateSchema, TransactionViewSchema } from '../modules/transactions/transaction-view.ts';

const json = (name: string) => ({ content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } } });

/**
 * The served OpenAPI 3.1 document's frame. Routes add their own operations; the messages that are not
 * answers to a request (the webhook bodies and the WebSocket `tx.update`) are named components here, so
 * the partner SDK's types can be generated from the one document (npm run generate:sdk-types).
 */
export const openapiDocument: NonNullable<FastifyDynamicSwaggerOptions['openapi']> = {
  openapi: '3.1.0',
  info: {
    title: 'Proof Ramp API',
    version: '1.0.0',
    description: 'Partner API of the Proof Ramp on-ramp and off-ramp platform. Amounts are decimal strings.',
  },
  components: {
    securitySchemes: {
      clientToken: { type: 'http', scheme: 'bearer', description: 'The partner client_token (server side only).' },
      adminToken: { type: 'http', scheme: 'bearer', description: 'The operator ADMIN_TOKEN.' },
      widgetCredential: {
        type: 'http',
        scheme: 'bearer',
        description: 'The widget iframe’s credential, from POST /embed/v1/sessions/open (never a client token).',
      },
    },
    // TypeBox schemas are JSON Schema 2020-12, which is what OpenAPI 3.1 components hold.
    schemas: {
      Transaction: TransactionViewSchema,
      TransactionUpdate: TransactionUpdateSchema,
      WebhookTestEvent: WebhookTestEventSchema,
    } as Record<string, object>,
  },
  webhooks: {
    'transaction.status': {
      post: {
        summary: 'A transaction changed status',
        description:
          "POSTed to the partner's webhook_url, signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). " +
          'Answer 2xx fast; de-duplicate on (merchant_transaction_id, status).',
        requestBody: json('Transaction'),
        responses: { '2XX': { description: 'Received.' } },
      },
    },
    test: {
      post: {
        summary: 'A test event sent by the operator',
        requestBody: json('WebhookTestEvent'),
        responses: { '2XX': { description: 'Received.' } },
      },
    },
  },
};
