/**
 * Regenerates the partner SDK's wire types from the server's OpenAPI document (npm run generate:sdk-types).
 * Builds the app on a throwaway in-memory database; nothing listens.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import pino from 'pino';
import { buildApp } from '../packages/server/src/app.ts';
import { startPlatform } from '../packages/server/src/bootstrap.ts';
import { loadConfig } from '../packages/server/src/config.ts';
import { renderSdkTypes, SDK_TYPES_FILE } from './sdk-types.ts';

const platform = await startPlatform(loadConfig({ LOG_LEVEL: 'silent' }), {
  logger: pino({ level: 'silent' }),
  secrets: { signingSecret: randomBytes(32).toString('base64url'), encryptionKey: randomBytes(32) },
  database: { dataDir: undefined },
});
const app = await buildApp(platform);
await app.ready();
await writeFile(SDK_TYPES_FILE, await renderSdkTypes(app.swagger() as Parameters<typeof renderSdkTypes>[0]));
await app.close();
await platform.close();
console.log(`wrote ${SDK_TYPES_FILE}`);
