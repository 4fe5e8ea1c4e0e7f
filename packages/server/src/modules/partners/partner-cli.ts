import { parseArgs } from 'node:util';
import { parseDuration } from '../../lib/duration.ts';
import { ConfigurationError } from '../../lib/errors.ts';
import type { PartnerInput } from './partner-config.ts';
import type { PartnerOperations } from './partner-operations.ts';

export const PARTNERS_USAGE = `proof partners <command> [options] [--json]

  create --name N --email E --origin URL… --asset CURRENCY:NETWORK[=ADDRESS]…
         [--ip CIDR…] [--sell] [--fiat EUR,USD] [--default-fiat EUR] [--sell-fiat EUR,USD]
         [--webhook-url URL] [--type buy|sell] [--lang en] [--theme light|dark] [--redirect-url URL]
         [--fee-percent 1.5] [--fee-fixed EUR:0.50…] [--limit EUR:10:10000…]
         [--allow-partner-address] [--partner-type wallet]
  list
  show ID
  update ID [any create option; lists given replace the stored ones] [--no-sell]
  rotate-token ID [--grace 24h]     old tokens keep working for the grace period
  disable ID | enable ID

The first --asset listed for a currency is its default network.`;

const OPTIONS = {
  json: { type: 'boolean' },
  name: { type: 'string' },
  email: { type: 'string' },
  origin: { type: 'string', multiple: true },
  asset: { type: 'string', multiple: true },
  ip: { type: 'string', multiple: true },
  sell: { type: 'boolean' },
  'no-sell': { type: 'boolean' },
  fiat: { type: 'string' },
  'default-fiat': { type: 'string' },
  'sell-fiat': { type: 'string' },
  'webhook-url': { type: 'string' },
  type: { type: 'string' },
  lang: { type: 'string' },
  theme: { type: 'string' },
  'redirect-url': { type: 'string' },
  'fee-percent': { type: 'string' },
  'fee-fixed': { type: 'string', multiple: true },
  limit: { type: 'string', multiple: true },
  'allow-partner-address': { type: 'boolean' },
  'partner-type': { type: 'string' },
  grace: { type: 'string' },
} as const;

const MULTI_VALUE = new Set(
  Object.entries(OPTIONS)
    .filter(([, o]) => 'multiple' in o)
    .map(([name]) => `--${name}`),
);

/**
 * Runs one `proof partners …` command; returns what to print. What a created or updated partner cannot
 * do goes to `warn` (stderr), also with --json (where the answer carries it as `warnings` too).
 */
export async function runPartnersCommand(
  args: string[],
  operations: PartnerOperations,
  warn: (line: string) => void = (line) => console.error(line),
): Promise<string> {
  const [command, ...rest] = args;
  const { values, positionals } = parseArgs({ args: expandMultiValues(rest), options: OPTIONS, allowPositionals: true, strict: true });
  const id = () => {
    if (!positionals[0]) throw new ConfigurationError('id', `${command} needs a partner id`);
    return positionals[0];
  };
  const output = (value: unknown, human: () => string) => (values.json ? JSON.stringify(value, null, 2) : human());

  switch (command) {
    case 'create': {
      const created = await operations.create(inputFromFlags(values));
      for (const warning of created.warnings) warn(`warning: ${warning}`);
      return output(created, () =>
        [
          `Created partner ${created.partner_id} (${created.name})`,
          `  widget_id       ${created.widget_id}`,
          `  client_token    ${created.client_token}    (shown once: store it on your server)`,
          `  webhook_secret  ${created.webhook_secret}`,
        ].join('\n'),
      );
    }
    case 'list': {
      const partners = await operations.list();
      return output(partners, () =>
        partners.length === 0
          ? 'No partners yet. Create one with: proof partners create --help'
          : partners.map((p) => `${p.partner_id}  ${p.widget_id}  ${p.status.padEnd(8)}  ${p.name}`).join('\n'),
      );
    }
    case 'show': {
      const partner = await operations.show(id());
      return JSON.stringify(partner, null, 2);
    }
    case 'update': {
      const updated = await operations.update(id(), inputFromFlags(values));
      for (const warning of updated.warnings) warn(`warning: ${warning}`);
      return output(updated, () => `Updated partner ${updated.partner_id}.`);
    }
    case 'rotate-token': {
      const rotated = await operations.rotateToken(id(), values.grace === undefined ? undefined : graceFlag(values.grace));
      return output(rotated, () =>
        [
          `New client_token  ${rotated.client_token}    (shown once)`,
          `Older tokens stop working at ${rotated.previous_tokens_expire_at}.`,
        ].join('\n'),
      );
    }
    case 'disable':
    case 'enable': {
      const partner = await operations.setStatus(id(), command === 'disable' ? 'disabled' : 'active');
      return output(partner, () => `Partner ${partner.partner_id} is now ${partner.status}.`);
    }
    default:
      throw new ConfigurationError('command', `unknown partners command "${command ?? ''}"\n\n${PARTNERS_USAGE}`);
  }
}

/** Lets `--origin a b` mean `--origin a --origin b`, as the documented usage writes it. */
function expandMultiValues(args: string[]): string[] {
  const out: string[] = [];
  let current: string | null = null;
  for (const arg of args) {
    if (arg.startsWith('--')) {
      current = MULTI_VALUE.has(arg) ? arg : null;
      out.push(arg);
    } else if (current !== null && out[out.length - 1] !== current) {
      out.push(current, arg);
    } else {
      out.push(arg);
    }
  }
  return out;
}

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function inputFromFlags(flags: Flags): PartnerInput {
  const input: PartnerInput = {};
  if (flags.name !== undefined) input.name = flags.name;
  if (flags.email !== undefined) input.contact_email = flags.email;
  if (flags.origin) input.origins = flags.origin;
  if (flags.ip) input.ip_allowlist = flags.ip;
  if (flags.asset) input.assets = flags.asset.map(parseAssetFlag);
  if (flags.sell) input.sell = true;
  if (flags['no-sell']) input.sell = false;
  if (flags.fiat !== undefined) input.fiat_currencies = list(flags.fiat);
  if (flags['default-fiat'] !== undefined) input.default_fiat = flags['default-fiat'];
  if (flags['sell-fiat'] !== undefined) input.sell_fiat_currencies = list(flags['sell-fiat']);
  if (flags['webhook-url'] !== undefined) input.webhook_url = flags['webhook-url'] === '' ? null : flags['webhook-url'];
  if (flags['partner-type'] !== undefined) input.partner_type = flags['partner-type'];
  if (flags['allow-partner-address']) input.allow_partner_address = true;
  const widget: NonNullable<PartnerInput['widget']> = {};
  if (flags.type !== undefined) widget.type = flags.type;
  if (flags.lang !== undefined) widget.lang = flags.lang;
  if (flags.theme !== undefined) widget.theme = flags.theme;
  if (flags['redirect-url'] !== undefined) widget.redirect_url = flags['redirect-url'] === '' ? null : flags['redirect-url'];
  if (Object.keys(widget).length > 0) input.widget = widget;
  if (flags['fee-percent'] !== undefined || flags['fee-fixed']) {
    input.fees = {};
    if (flags['fee-percent'] !== undefined) input.fees.percent = flags['fee-percent'];
    if (flags['fee-fixed']) input.fees.fixed = Object.fromEntries(flags['fee-fixed'].map((entry) => pair('fee-fixed', entry, 2)));
  }
  if (flags.limit) {
    input.limits = Object.fromEntries(
      flags.limit.map((entry) => {
        const [fiat, min, max] = pair('limit', entry, 3);
        return [fiat, { min: min!, max: max! }];
      }),
    );
  }
  return input;
}

export function parseAssetFlag(value: string): { currency: string; network: string; address: string | null } {
  const match = /^([A-Za-z0-9]+):([A-Za-z0-9]+)(?:=(.+))?$/.exec(value);
  if (!match) throw new ConfigurationError('asset', `expected CURRENCY:NETWORK[=ADDRESS], got "${value}"`);
  return { currency: match[1]!, network: match[2]!, address: match[3] ?? null };
}

function pair(flag: string, value: string, parts: number): string[] {
  const split = value.split(':');
  if (split.length !== parts || split.some((part) => part === '')) {
    throw new ConfigurationError(flag, `expected ${parts === 2 ? 'FIAT:AMOUNT' : 'FIAT:MIN:MAX'}, got "${value}"`);
  }
  return split;
}

/** A bad --grace is bad input like any other flag (exit code 2), not a crash. */
function graceFlag(value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new ConfigurationError('grace', (error as Error).message);
  }
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
