import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deriveSandboxAddress } from '../../lib/address.ts';
import type { Platform } from '../../platform.ts';
import type { PartnerInput } from './partner-config.ts';
import { localPartnerOperations } from './partner-operations.ts';
import { getPartner, PartnerNotFoundError } from './partner-service.ts';

export interface SandboxCredentials {
  partner_id: string;
  widget_id: string;
  client_token: string;
  webhook_secret: string;
}

const walletSeed = (label: string) => createHash('sha256').update(`proof-ramp sandbox wallet ${label}`).digest();

export function sandboxPartnerInput(publicUrl: string): PartnerInput {
  const origin = new URL(publicUrl).origin;
  const origins = [origin];
  if (origin.includes('://localhost:')) origins.push(origin.replace('://localhost:', '://127.0.0.1:'));
  return {
    name: 'Sandbox Partner',
    contact_email: 'sandbox@example.com',
    origins,
    assets: [
      { currency: 'USDT', network: 'TRC20', address: deriveSandboxAddress('tron', walletSeed('USDT TRC20')) },
      { currency: 'USDT', network: 'ERC20', address: deriveSandboxAddress('evm', walletSeed('USDT ERC20')) },
      { currency: 'USDT', network: 'BEP20', address: deriveSandboxAddress('evm', walletSeed('USDT BEP20')) },
      { currency: 'BTC', network: 'BITCOIN', address: deriveSandboxAddress('bitcoin', walletSeed('BTC BITCOIN')) },
    ],
    fiat_currencies: ['EUR', 'USD'],
    default_fiat: 'EUR',
    sell: true,
    fees: { percent: '1.5', fixed: { EUR: '0.50', USD: '0.50' } },
  };
}

/**
 * The partner `npm start` offers out of the box. Its credentials live in DATA_DIR/sandbox-partner.json
 * (tokens are stored hashed, so that file is the only place to read them again after a restart).
 */
export async function ensureSandboxPartner(platform: Platform): Promise<SandboxCredentials> {
  const file = join(platform.config.dataDir, 'sandbox-partner.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as SandboxCredentials;
    try {
      await getPartner(platform, saved.partner_id);
      return saved;
    } catch (error) {
      if (!(error instanceof PartnerNotFoundError)) throw error;
    }
  }
  const created = await localPartnerOperations(platform).create(sandboxPartnerInput(platform.config.publicUrl));
  writeFileSync(file, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600 });
  return created;
}
