import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startPartnerDemo } from './demo-server.ts';

/**
 * The demo on its own, against a platform that is already running:
 *
 *   PLATFORM_URL=http://localhost:8080 CLIENT_TOKEN=ct_… WEBHOOK_SECRET=whsec_… node examples/partner-demo/src/main.ts
 *
 * Without CLIENT_TOKEN and WEBHOOK_SECRET it uses the sandbox partner `npm start` saved in
 * DATA_DIR/sandbox-partner.json. The partner must have the demo's origin registered, and its
 * webhook_url pointed at the demo, for the widget to load there and webhooks to arrive: `npm start`
 * does both for the sandbox partner; otherwise this prints the command.
 */
const env = process.env;
let clientToken = env.CLIENT_TOKEN;
let webhookSecret = env.WEBHOOK_SECRET;
let partnerId = 'ID';
const saved = resolve(env.DATA_DIR ?? '.data', 'sandbox-partner.json');
if ((!clientToken || !webhookSecret) && existsSync(saved)) {
  const sandbox = JSON.parse(readFileSync(saved, 'utf8')) as { partner_id: string; client_token: string; webhook_secret: string };
  clientToken ??= sandbox.client_token;
  webhookSecret ??= sandbox.webhook_secret;
  partnerId = sandbox.partner_id;
}
if (!clientToken || !webhookSecret) {
  console.error(`Set CLIENT_TOKEN and WEBHOOK_SECRET (or run npm start first, which saves the sandbox partner in ${saved}).`);
  process.exit(2);
}

const demo = await startPartnerDemo({
  platformUrl: env.PLATFORM_URL ?? 'http://localhost:8080',
  clientToken,
  webhookSecret,
  host: env.DEMO_HOST,
  port: env.DEMO_PORT ? Number(env.DEMO_PORT) : undefined,
});
console.log(
  [
    `Demo partner: ${demo.url}/`,
    '',
    'The partner needs this origin registered and this webhook URL (npm start does it for the sandbox partner):',
    `  npx proof partners update ${partnerId} ${demo.origins.map((origin) => `--origin ${origin}`).join(' ')} --webhook-url ${demo.webhookUrl}`,
    "  (update replaces the partner's origins: name its other origins too)",
  ].join('\n'),
);
const stop = () => demo.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
