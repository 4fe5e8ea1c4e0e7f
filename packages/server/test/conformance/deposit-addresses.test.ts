import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { NETWORKS, type Network } from '../../src/lib/catalog.ts';
import { ProviderError } from '../../src/lib/provider-error.ts';
import { NoDepositAddresses } from '../../src/modules/settlement/no-deposit-addresses.ts';
import { SandboxDepositAddresses } from '../../src/modules/settlement/sandbox-deposit-addresses.ts';
import { describeDepositAddressProvider } from './deposit-addresses.ts';

const seedKey = randomBytes(32);
describeDepositAddressProvider('sandbox', () => new SandboxDepositAddresses({ seedKey }));
describeDepositAddressProvider('none', () => new NoDepositAddresses(), { unsupportedNetworks: Object.keys(NETWORKS) as Network[] });

it('none says why the off-ramp cannot take deposits, and that retrying will not help', async () => {
  const error = await new NoDepositAddresses().allocate().catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ProviderError);
  expect(error).toMatchObject({
    provider: 'none',
    kind: 'rejected',
    retryable: false,
    message: 'no deposit address provider is configured; the off-ramp cannot take deposits',
  });
});

it('sandbox addresses differ per deployment (the seed comes from its signing secret)', async () => {
  const request = { transactionId: '5f0c8a86-1f5e-4a51-9d7e-0c6bbbd52f2a', index: 0, currency: 'USDT', network: 'TRC20' } as const;
  const one = await new SandboxDepositAddresses({ seedKey: randomBytes(32) }).allocate(request);
  const other = await new SandboxDepositAddresses({ seedKey: randomBytes(32) }).allocate(request);
  expect(one).not.toBe(other);
});
