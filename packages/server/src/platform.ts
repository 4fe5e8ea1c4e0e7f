import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Db } from './db/database.ts';
import type { Clock } from './lib/clock.ts';
import type { Sealer } from './lib/crypto.ts';
import type { EventBus } from './modules/delivery/event-bus.ts';
import type { TokenCache } from './modules/partners/authenticate.ts';
import type { Providers } from './providers.ts';

/** What every module's service functions get: the store, the clock, the keys and the adapters. */
export interface Platform {
  config: Config;
  db: Db;
  dbKind: 'pglite' | 'postgres';
  clock: Clock;
  logger: Logger;
  /** Root secret for signatures and init tokens; never leaves the platform. */
  signingSecret: string;
  /** Keys derived from the signing secret, one per purpose. */
  keys: { initToken: Buffer; sessionSignature: Buffer };
  /** Encrypts secrets and PII at rest. */
  sealer: Sealer;
  /** The adapters to the outside world (rates, deposit addresses …), built from configuration in providers.ts. */
  providers: Providers;
  tokenCache: TokenCache;
  /** Carries committed status changes to every node's WebSocket subscribers. */
  bus: EventBus;
  /** Set while this process runs a webhook worker: lets a change be sent without waiting for the next poll. */
  wakeWebhookWorker?: (() => void) | undefined;
}
