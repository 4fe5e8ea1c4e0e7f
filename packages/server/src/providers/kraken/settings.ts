import { type Static, type TSchema, Type } from 'typebox';
import { Value } from 'typebox/value';
import { ASSETS, type Asset, assetTravelsOn, NETWORKS, type Network } from '../../lib/catalog.ts';
import { DEFAULT_NETWORK_FEES, type NetworkFeeTable } from '../../modules/pricing/network-fees.ts';

const Decimal = Type.String({ pattern: '^(0|[1-9]\\d*)(\\.\\d+)?$', description: 'a decimal string such as "1.5"' });

/** Networks of the catalog, each with the assets that travel on it; unknown keys are refused. */
const NetworkFees = Type.Object(
  Object.fromEntries(
    (Object.keys(NETWORKS) as Network[]).map((network) => [
      network,
      Type.Optional(
        Type.Object(
          Object.fromEntries(
            (Object.keys(ASSETS) as Asset[])
              .filter((asset) => assetTravelsOn(asset, network))
              .map((asset) => [asset, Type.Optional(Decimal)]),
          ),
          { additionalProperties: false },
        ),
      ),
    ]),
  ) as Record<string, TSchema>,
  {
    additionalProperties: false,
    default: DEFAULT_NETWORK_FEES,
    description: 'What sending each asset costs per network, in whole units of the asset; charged on a buy.',
  },
);

/**
 * What the Kraken rate adapter needs, and nothing else: the public market-data API takes no key.
 * Durations in milliseconds. Defaults: the real API, 3 s per request, a pair's ticker reused for
 * 10 s, and when Kraken cannot be reached a rate up to 60 s old may still be used; older, we refuse
 * to quote rather than price on a market that may have moved.
 */
export const KrakenSettingsSchema = Type.Object(
  {
    baseUrl: Type.String({ pattern: '^https?://[^\\s]+$', default: 'https://api.kraken.com', description: 'KRAKEN_API_URL' }),
    timeoutMs: Type.Integer({ minimum: 1, maximum: 60_000, default: 3_000, description: 'RATES_TIMEOUT: per request, body included' }),
    cacheTtlMs: Type.Integer({ minimum: 0, default: 10_000, description: 'RATES_CACHE_TTL: how long a fetched ticker is reused' }),
    maxAgeMs: Type.Integer({ minimum: 0, default: 60_000, description: 'RATES_MAX_AGE: the oldest rate used while Kraken fails' }),
    networkFees: NetworkFees,
  },
  { additionalProperties: false },
);

export type KrakenSettings = Omit<Static<typeof KrakenSettingsSchema>, 'networkFees'> & { networkFees: NetworkFeeTable };

/** Fills in the defaults and checks everything; throws one error naming every problem. */
export function parseKrakenSettings(input: Partial<KrakenSettings> = {}): KrakenSettings {
  const defined = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
  const settings = Value.Default(KrakenSettingsSchema, structuredClone(defined)) as KrakenSettings;
  const problems = Value.Errors(KrakenSettingsSchema, settings).map((error) => `${error.instancePath || 'settings'} ${error.message}`);
  if (problems.length === 0 && settings.maxAgeMs < settings.cacheTtlMs) {
    problems.push('/maxAgeMs must not be shorter than /cacheTtlMs (a cached rate would outlive the staleness limit)');
  }
  if (problems.length > 0) throw new Error(`Kraken rate provider settings: ${problems.join('; ')}`);
  return { ...settings, baseUrl: settings.baseUrl.replace(/\/+$/, '') };
}
