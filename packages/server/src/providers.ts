import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Db } from './db/database.ts';
import type { Network } from './lib/catalog.ts';
import type { Clock } from './lib/clock.ts';
import { deriveKey } from './lib/crypto.ts';
import { instrumentAdapter } from './lib/instrument-adapter.ts';
import type { Metrics } from './lib/metrics.ts';
import type { CallbackSource } from './modules/callbacks/inbound-event.ts';
import type { KycProvider } from './modules/kyc/kyc-provider.ts';
import { NoKycProvider } from './modules/kyc/no-kyc-provider.ts';
import { SandboxKycProvider } from './modules/kyc/sandbox-kyc-provider.ts';
import { NoPaymentProvider } from './modules/payments/no-payment-provider.ts';
import type { PaymentProvider } from './modules/payments/payment-provider.ts';
import { SandboxPaymentProvider } from './modules/payments/sandbox-payment-provider.ts';
import type { RateProvider } from './modules/pricing/rate-provider.ts';
import { SandboxRateProvider } from './modules/pricing/sandbox-rate-provider.ts';
import type { ChainAdapter, Chains } from './modules/settlement/chain-adapter.ts';
import { ChainRegistry } from './modules/settlement/chain-registry.ts';
import type { EvmNetwork, EvmNetworkSettings } from './modules/settlement/chain-settings.ts';
import type { DepositAddressProvider } from './modules/settlement/deposit-address-provider.ts';
import { EvmChainAdapter } from './modules/settlement/evm-chain-adapter.ts';
import { HdDepositAddresses } from './modules/settlement/hd-deposit-addresses.ts';
import { NoDepositAddresses } from './modules/settlement/no-deposit-addresses.ts';
import { NoPayoutProvider } from './modules/settlement/no-payout-provider.ts';
import type { PayoutProvider } from './modules/settlement/payout-provider.ts';
import { SandboxChainAdapter } from './modules/settlement/sandbox-chain-adapter.ts';
import { SandboxDepositAddresses } from './modules/settlement/sandbox-deposit-addresses.ts';
import { SandboxPayoutProvider } from './modules/settlement/sandbox-payout-provider.ts';
import { KrakenRateProvider } from './providers/kraken/kraken-rate-provider.ts';
import { parseKrakenSettings } from './providers/kraken/settings.ts';

/**
 * Every adapter the platform talks to the outside world through, one per capability. Each interface
 * belongs to the module that uses it (modules/<module>/<capability>-provider.ts); kyc, payments,
 * payouts and chains join here as they land.
 */
export interface Providers {
  rates: RateProvider;
  depositAddresses: DepositAddressProvider;
  kyc: KycProvider;
  payments: PaymentProvider;
  /** Pays sells out to the user's card. */
  payouts: PayoutProvider;
  /** The chain adapter of each network (evm, the sandbox chain, or none) and its confirmation depth. */
  chains: Chains;
}

/** The adapters that call back (they implement CallbackSource beside their own interface). */
export function callbackSources(providers: Providers): CallbackSource[] {
  return Object.values(providers).filter(
    (provider): provider is CallbackSource => typeof (provider as Partial<CallbackSource>).verifyCallback === 'function',
  );
}

export interface ProviderContext {
  config: Config;
  clock: Clock;
  /** Root secret; adapters get keys derived from it per purpose, never the secret itself. */
  signingSecret: string;
  /** For adapters that work in the background (the sandbox's callbacks); they log no PII. */
  logger?: Logger;
  /**
   * The platform's database, for adapters whose state lives there (the sandbox chain). Read when they
   * work, not when they are built: the adapters are built before the database opens.
   */
  db?: () => Db;
}

/**
 * The composition root of adapters: the only file in src that imports concrete adapters. It reads
 * configuration, builds each adapter with only its own settings, and fails the start (not the first
 * request) when a setting is wrong. `overrides` replace single adapters (tests).
 */
export function buildProviders(context: ProviderContext, overrides: Partial<Providers> = {}): Providers {
  return {
    rates: overrides.rates ?? buildRates(context),
    depositAddresses: overrides.depositAddresses ?? buildDepositAddresses(context),
    kyc: overrides.kyc ?? buildKyc(context),
    payments: overrides.payments ?? buildPayments(context),
    payouts: overrides.payouts ?? buildPayouts(context),
    chains: overrides.chains ?? buildChains(context),
  };
}

/** Metric label of each capability, as docs/operations.md lists them. */
const PROVIDER_KINDS: Record<keyof Providers, string> = {
  rates: 'rates',
  depositAddresses: 'deposit_addresses',
  kyc: 'kyc',
  payments: 'payments',
  payouts: 'payouts',
  chains: 'chain',
};

/**
 * The same adapters, each asynchronous call timed into proof_provider_call_duration_seconds by
 * capability, method and outcome. The one seam every provider call goes through; a chain adapter is
 * instrumented as the registry hands it out (chainFor), once per adapter.
 */
export function instrumentProviders(providers: Providers, metrics: Pick<Metrics, 'providerCallDuration'>): Providers {
  const observer = (kind: string) => (operation: string, outcome: string, seconds: number) =>
    metrics.providerCallDuration.observe({ kind, operation, outcome }, seconds);
  const instrumented = Object.fromEntries(
    (Object.keys(PROVIDER_KINDS) as Array<keyof Providers>)
      .filter((key) => key !== 'chains')
      .map((key) => [key, instrumentAdapter(providers[key], { observe: observer(PROVIDER_KINDS[key]) })]),
  ) as Omit<Providers, 'chains'>;
  const chainAdapters = new WeakMap<object, unknown>();
  const observeChain = observer(PROVIDER_KINDS.chains);
  const chains = instrumentAdapter(providers.chains, {
    observe: observeChain,
    mapResult: (operation, result) => {
      if (operation !== 'chainFor' || typeof result !== 'object' || result === null) return result;
      if (!chainAdapters.has(result)) chainAdapters.set(result, instrumentAdapter(result, { observe: observeChain }));
      return chainAdapters.get(result);
    },
  });
  return { ...instrumented, chains };
}

function buildRates({ config, clock }: ProviderContext): RateProvider {
  switch (config.rateProvider) {
    case 'sandbox':
      return new SandboxRateProvider({ networkFees: config.rates.networkFees });
    case 'kraken': {
      const { krakenApiUrl, timeoutMs, cacheTtlMs, maxAgeMs, networkFees } = config.rates;
      const settings = parseKrakenSettings({ baseUrl: krakenApiUrl, timeoutMs, cacheTtlMs, maxAgeMs, networkFees });
      return new KrakenRateProvider({ settings, clock });
    }
  }
}

function buildDepositAddresses({ config, signingSecret }: ProviderContext): DepositAddressProvider {
  switch (config.depositAddressProvider) {
    case 'sandbox':
      return new SandboxDepositAddresses({ seedKey: deriveKey(signingSecret, 'sandbox-deposit-addresses') });
    case 'hd': {
      const { all, evm, tron, bitcoin } = config.depositXpubs;
      const pick = (own: string | undefined, setting: string) =>
        own !== undefined ? { value: own, setting } : all !== undefined ? { value: all, setting: 'DEPOSIT_XPUB' } : undefined;
      return new HdDepositAddresses({
        extendedKeys: {
          evm: pick(evm, 'DEPOSIT_XPUB_EVM'),
          tron: pick(tron, 'DEPOSIT_XPUB_TRON'),
          bitcoin: pick(bitcoin, 'DEPOSIT_XPUB_BITCOIN'),
        },
      });
    }
    case 'none':
      return new NoDepositAddresses();
  }
}

function buildKyc({ config, clock, signingSecret, logger }: ProviderContext): KycProvider {
  switch (config.kycProvider) {
    case 'sandbox':
      return new SandboxKycProvider({
        signingKey: deriveKey(signingSecret, 'sandbox-kyc-callbacks'),
        // Read at send time: the public URL may be settled after the adapters are built (tests listen on port 0).
        callbackUrl: () => `${config.publicUrl}/providers/sandbox-kyc/callbacks`,
        clock,
        delayMs: config.sandboxKycDelayMs,
        ...(logger ? { logger } : {}),
      });
    case 'none':
      return new NoKycProvider();
  }
}

function buildPayments({ config, clock, signingSecret, logger }: ProviderContext): PaymentProvider {
  switch (config.paymentProvider) {
    case 'sandbox':
      return new SandboxPaymentProvider({
        signingKey: deriveKey(signingSecret, 'sandbox-payments-callbacks'),
        // Read at send time: the public URL may be settled after the adapters are built (tests listen on port 0).
        callbackUrl: () => `${config.publicUrl}/providers/sandbox-payments/callbacks`,
        clock,
        delayMs: config.sandboxPaymentDelayMs,
        ...(logger ? { logger } : {}),
      });
    case 'none':
      return new NoPaymentProvider();
  }
}

/**
 * One EVM adapter for the networks on evm (one hot wallet key, a client per network), one sandbox
 * chain for those on sandbox; networks on none have no adapter.
 */
function buildChains({ config, clock, signingSecret, db }: ProviderContext): Chains {
  const { networks, hotWalletKey } = config.chains;
  const on = (kind: string) => (Object.keys(networks) as Network[]).filter((network) => networks[network].adapter === kind);
  const adapters: Partial<Record<Network, ChainAdapter>> = {};
  const evmNetworks = on('evm');
  if (evmNetworks.length > 0) {
    const evm = new EvmChainAdapter({
      networks: Object.fromEntries(evmNetworks.map((network) => [network, networks[network].evm!])) as Partial<
        Record<EvmNetwork, EvmNetworkSettings>
      >,
      hotWalletKey: hotWalletKey!,
      rpcTimeoutMs: config.chains.evmRpcTimeoutMs,
      logBlockRange: config.chains.evmLogBlockRange,
      tokenGasLimit: BigInt(config.chains.evmTokenGasLimit),
    });
    for (const network of evmNetworks) adapters[network] = evm;
  }
  const sandboxNetworks = on('sandbox');
  if (sandboxNetworks.length > 0) {
    const sandbox = new SandboxChainAdapter({
      networks: sandboxNetworks,
      seedKey: deriveKey(signingSecret, 'sandbox-chain'),
      db:
        db ??
        (() => {
          throw new Error('the sandbox chain has no database');
        }),
      clock,
      blockTimeMs: config.chains.sandboxBlockTimeMs,
    });
    for (const network of sandboxNetworks) adapters[network] = sandbox;
  }
  const confirmations = Object.fromEntries(
    (Object.keys(networks) as Network[]).map((network) => [network, networks[network].confirmations]),
  );
  return new ChainRegistry({ adapters, confirmations });
}

function buildPayouts({ config, clock, signingSecret, logger }: ProviderContext): PayoutProvider {
  switch (config.payoutProvider) {
    case 'sandbox':
      return new SandboxPayoutProvider({
        signingKey: deriveKey(signingSecret, 'sandbox-payouts-callbacks'),
        // Read at send time: the public URL may be settled after the adapters are built (tests listen on port 0).
        callbackUrl: () => `${config.publicUrl}/providers/sandbox-payouts/callbacks`,
        clock,
        delayMs: config.sandboxPayoutDelayMs,
        ...(logger ? { logger } : {}),
      });
    case 'none':
      return new NoPayoutProvider();
  }
}
