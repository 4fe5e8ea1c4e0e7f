/**
 * npm run bench:settlement — how fast crypto transfers go from a backlog to confirmed, beside a bare
 * loop of viem writeContract transfers on the same local anvil in the same run. Two kinds of row:
 *
 * - through the EVM chain adapter (sign → broadcast → wait for confirmations), one transfer at a time
 *   (each confirmed before the next), and as a backlog (all signed and sent first, with consecutive
 *   nonces, then all waited for): the adapter's own cost against the bare client's;
 * - through the settlement worker, on the embedded database and on PostgreSQL (BENCH_DATABASE_URL,
 *   default the local test database, in a schema of its own dropped afterwards): a backlog of
 *   captured buys (sessions created over HTTP, paid with the sandbox card, the capture applied by the
 *   callback worker: each buy processing with its transfer queued), timed from the worker's start
 *   until every buy is completed; beside it, the bare loop sends the same transfers (recipient and
 *   amount) as a backlog.
 *
 * anvil mines each transaction in a block of its own; to reach the confirmation depth the bench mines
 * CONFIRMATIONS empty blocks after the last transfer is sent, the same way for every loop. Writes
 * docs/benchmarks.md. A benchmark, not a test: nothing here passes or fails.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import pg from 'pg';
import pino from 'pino';
import { type Address, type Hex, parseUnits } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { buildApp } from '../packages/server/src/app.ts';
import { startPlatform } from '../packages/server/src/bootstrap.ts';
import { loadConfig } from '../packages/server/src/config.ts';
import { CallbackWorker } from '../packages/server/src/modules/callbacks/callback-worker.ts';
import { localPartnerOperations } from '../packages/server/src/modules/partners/partner-operations.ts';
import { sandboxPartnerInput } from '../packages/server/src/modules/partners/sandbox-partner.ts';
import { startPayment } from '../packages/server/src/modules/payments/payment-service.ts';
import { SANDBOX_CARDS } from '../packages/server/src/modules/payments/sandbox-payment-provider.ts';
import type { ChainAdapter } from '../packages/server/src/modules/settlement/chain-adapter.ts';
import { parseChainSettings } from '../packages/server/src/modules/settlement/chain-settings.ts';
import { EvmChainAdapter } from '../packages/server/src/modules/settlement/evm-chain-adapter.ts';
import { SettlementWorker } from '../packages/server/src/modules/settlement/settlement-worker.ts';
import { providerEventHandlers } from '../packages/server/src/workers.ts';
import {
  ANVIL_CHAIN_ID,
  ANVIL_KEYS,
  clientsFor,
  type DeployedToken,
  deployToken,
  type LocalEvmChain,
  sendToken,
  startAnvil,
} from '../packages/server/test/helpers/local-evm-chain.ts';
import { card } from '../packages/server/test/helpers/payments-kit.ts';
import { paymentsSandbox } from '../packages/server/test/helpers/platform-internals.ts';
import { sessionBody } from '../packages/server/test/helpers/test-platform.ts';

const TRANSFERS = Number(process.env.BENCH_TRANSFERS ?? 300);
const BUYS = Number(process.env.BENCH_BUYS ?? 200);
const CONFIRMATIONS = Number(process.env.BENCH_CONFIRMATIONS ?? 3);
const POLL_MS = 50;
const postgresUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Row {
  shape: string;
  transfers: number;
  perSecond: number;
  barePerSecond: number;
  /** The worker rows: seconds from the worker's start until the last transfer was in a block. */
  allMinedSeconds?: number;
}

interface Transfer {
  to: Address;
  amount: bigint;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks at once, then every POLL_MS, until `done` says so: the same for every loop. */
const until = async (done: () => Promise<boolean>) => {
  while (!(await done())) await sleep(POLL_MS);
};

/** The bare side of every row: viem's writeContract from another funded wallet, its receipt polled. */
function bareClient(chain: LocalEvmChain, token: DeployedToken) {
  const { publicClient, testClient, wallet } = clientsFor(chain.rpcUrl);
  const bare = wallet(ANVIL_KEYS.user);
  /**
   * Empty blocks enough for the newest transfer's confirmations: one more than a transfer already in
   * a block needs, because automine answers a send before it mines it, and a transfer still in the
   * pool goes into the first of these blocks (mining one fewer left it a confirmation short for good).
   */
  const topUp = () => testClient.mine({ blocks: CONFIRMATIONS });
  const send = ({ to, amount }: Transfer) =>
    bare.writeContract({
      address: token.address,
      abi: token.abi,
      functionName: 'transfer',
      args: [to, amount],
      chain: bare.chain,
      account: bare.account,
    });
  const confirmed = (hash: Hex) =>
    until(async () => {
      const receipt = await publicClient.getTransactionReceipt({ hash }).catch(() => null);
      if (!receipt) return false;
      if (receipt.status !== 'success') throw new Error(`transfer ${hash} reverted`);
      return (await publicClient.getBlockNumber({ cacheTime: 0 })) - receipt.blockNumber + 1n >= BigInt(CONFIRMATIONS);
    });
  /** Every transfer sent, the missing blocks mined once, then all waited for; transfers per second. */
  const backlog = async (transfers: Transfer[]) => {
    const started = performance.now();
    const hashes: Hex[] = [];
    for (const transfer of transfers) hashes.push(await send(transfer));
    await topUp();
    await Promise.all(hashes.map(confirmed));
    return transfers.length / ((performance.now() - started) / 1000);
  };
  return { publicClient, testClient, topUp, send, confirmed, backlog };
}

type Bare = ReturnType<typeof bareClient>;

async function measureAdapter(chain: LocalEvmChain, token: DeployedToken, bare: Bare): Promise<Row[]> {
  const settings = parseChainSettings(
    {
      EVM_RPC_URL_ERC20: chain.rpcUrl,
      EVM_CHAIN_ID_ERC20: String(ANVIL_CHAIN_ID),
      EVM_TOKEN_USDT_ERC20: token.address,
      HOT_WALLET_PRIVATE_KEY: ANVIL_KEYS.hotWallet,
    },
    'development',
  );
  const adapter: ChainAdapter = new EvmChainAdapter({
    networks: { ERC20: settings.networks.ERC20.evm! },
    hotWalletKey: settings.hotWalletKey!,
    rpcTimeoutMs: settings.evmRpcTimeoutMs,
    logBlockRange: settings.evmLogBlockRange,
    tokenGasLimit: BigInt(settings.evmTokenGasLimit),
  });
  const network = 'ERC20';
  const recipient = (n: number) => `0x${(0xbee00000 + n).toString(16).padStart(40, '0')}` as Address;
  const transfers = Array.from({ length: TRANSFERS }, (_, i): Transfer => ({ to: recipient(i), amount: 1_000_000n }));

  const confirmed = (hash: string) =>
    until(async () => {
      const status = await adapter.transferStatus({ network, hash });
      if (status.state !== 'mined') return false;
      if (!status.success) throw new Error(`transfer ${hash} reverted`);
      return (await adapter.head({ network })) - status.blockNumber + 1n >= BigInt(CONFIRMATIONS);
    });
  const viaAdapter = async ({ to, amount }: Transfer, nonce: bigint) => {
    const signed = await adapter.signTransfer({ network, asset: 'USDT', to, amountMinor: amount, nonce });
    await adapter.broadcast({ network, raw: signed.raw });
    return signed.hash;
  };
  const rate = (started: number) => TRANSFERS / ((performance.now() - started) / 1000);

  // Warm both paths (chain id check, token decimals, connection) outside the timings.
  const warm = await viaAdapter(transfers[0]!, await adapter.minedNonce({ network }));
  await bare.topUp();
  await confirmed(warm);
  const warmBare = await bare.send(transfers[0]!);
  await bare.topUp();
  await bare.confirmed(warmBare);

  // One at a time: each transfer confirmed before the next is signed.
  let started = performance.now();
  let nonce = await adapter.minedNonce({ network });
  for (const transfer of transfers) {
    const hash = await viaAdapter(transfer, nonce++);
    await bare.topUp();
    await confirmed(hash);
  }
  const adapterSerial = rate(started);

  started = performance.now();
  for (const transfer of transfers) {
    const hash = await bare.send(transfer);
    await bare.topUp();
    await bare.confirmed(hash);
  }
  const bareSerial = rate(started);

  // Backlog: every transfer signed and sent with consecutive nonces, then all waited for.
  started = performance.now();
  nonce = await adapter.minedNonce({ network });
  const hashes: string[] = [];
  for (const transfer of transfers) hashes.push(await viaAdapter(transfer, nonce++));
  await bare.topUp();
  await Promise.all(hashes.map(confirmed));
  const adapterBacklog = rate(started);

  const bareBacklog = await bare.backlog(transfers);

  return [
    { shape: 'adapter, one at a time', transfers: TRANSFERS, perSecond: adapterSerial, barePerSecond: bareSerial },
    { shape: 'adapter, backlog', transfers: TRANSFERS, perSecond: adapterBacklog, barePerSecond: bareBacklog },
  ];
}

/**
 * A platform on `database` with the EVM adapter configured as an operator would (CHAIN_ADAPTER_ERC20
 * follows EVM_RPC_URL_ERC20), a backlog of BUYS captured buys, and the settlement worker started on
 * it; then the bare loop with the same transfers.
 */
async function measureWorker(
  label: string,
  database: { url?: string; schema?: string },
  chain: LocalEvmChain,
  token: DeployedToken,
  bare: Bare,
): Promise<Row> {
  const config = loadConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '100000000',
    SANDBOX_PAYMENT_DELAY: '0',
    SETTLEMENT_POLL_INTERVAL: `${POLL_MS}ms`,
    EVM_RPC_URL_ERC20: chain.rpcUrl,
    EVM_CHAIN_ID_ERC20: String(ANVIL_CHAIN_ID),
    EVM_TOKEN_USDT_ERC20: token.address,
    HOT_WALLET_PRIVATE_KEY: ANVIL_KEYS.hotWallet,
    CONFIRMATIONS_ERC20: String(CONFIRMATIONS),
  });
  const platform = await startPlatform(config, {
    logger: pino({ level: 'silent' }),
    secrets: { signingSecret: randomBytes(32).toString('base64url'), encryptionKey: randomBytes(32) },
    database: database.url ? { url: database.url, schema: database.schema, poolSize: 10 } : { dataDir: undefined },
  });
  const app = await buildApp(platform);
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    // The sandbox payment provider calls back here.
    platform.config.publicUrl = url;
    const partner = await localPartnerOperations(platform).create({
      ...sandboxPartnerInput('http://localhost:8080'),
      webhook_url: 'https://partner.example/hooks',
    });
    // Drained by the bench, never started: nothing but the settlement worker runs while it is timed.
    const callbacks = new CallbackWorker(platform, providerEventHandlers(platform));
    const { db } = platform;
    const hotWallet = privateKeyToAccount(ANVIL_KEYS.hotWallet).address;
    const minedNonce = () => bare.publicClient.getTransactionCount({ address: hotWallet, blockTag: 'latest' });
    const completed = async () =>
      Number(
        (
          await db
            .selectFrom('transactions')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('status', '=', 'completed')
            .executeTakeFirstOrThrow()
        ).n,
      );
    const queued = () =>
      db
        .selectFrom('transfer_intents')
        .innerJoin('transactions', 'transactions.id', 'transfer_intents.transaction_id')
        .select(['transfer_intents.to_address', 'transfer_intents.amount_minor'])
        .where('transfer_intents.status', '=', 'queued')
        .where('transactions.status', '=', 'processing')
        .orderBy('transfer_intents.created_at')
        .execute();

    /** `count` buys as the settlement tests pay them: a session over HTTP, the sandbox card, the capture applied. */
    const captured = async (count: number, first: number): Promise<Transfer[]> => {
      for (let i = first; i < first + count; i++) {
        const response = await fetch(`${url}/widget/session`, {
          method: 'POST',
          headers: { authorization: `Bearer ${partner.client_token}`, 'content-type': 'application/json' },
          body: JSON.stringify(sessionBody({ network: 'ERC20', amount: '10', partner_user_id: `bench-${i}` })),
        });
        const body = (await response.json()) as { merchant_transaction_id: string };
        if (response.status !== 200) throw new Error(`creating a session: ${response.status} ${JSON.stringify(body)}`);
        await startPayment(platform, {
          partnerId: partner.partner_id,
          merchantTransactionId: body.merchant_transaction_id,
          source: card(SANDBOX_CARDS.success),
        });
      }
      await paymentsSandbox({ platform }).idle();
      await callbacks.drain();
      const transfers = await queued();
      if (transfers.length !== count) throw new Error(`${transfers.length} of ${count} buys are processing with a queued transfer`);
      return transfers.map((one) => ({ to: one.to_address as Address, amount: BigInt(one.amount_minor) }));
    };
    /**
     * The settlement worker started on a backlog of `count` queued transfers; once the last one is in
     * a block (the hot wallet's mined nonce says so), the bench mines its empty blocks, as it does
     * after the bare loop's last send. Done when every buy is completed.
     */
    const throughWorker = async (count: number) => {
      const lastNonce = (await minedNonce()) + count;
      const done = (await completed()) + count;
      const worker = new SettlementWorker(platform);
      const started = performance.now();
      worker.start();
      try {
        await until(async () => (await minedNonce()) >= lastNonce);
        const allMinedSeconds = (performance.now() - started) / 1000;
        await bare.topUp();
        await until(async () => (await completed()) >= done);
        return { perSecond: count / ((performance.now() - started) / 1000), allMinedSeconds };
      } finally {
        await worker.stop();
      }
    };

    // Warm the worker's path (the adapter's chain id check and token decimals, connections, the
    // database's first queries) outside the timings; the bare client is warm from the adapter rows.
    await captured(1, 0);
    await throughWorker(1);

    const transfers = await captured(BUYS, 1);
    const worker = await throughWorker(BUYS);
    const barePerSecond = await bare.backlog(transfers);
    return {
      shape: `settlement worker, backlog of captured buys, ${label}`,
      transfers: BUYS,
      perSecond: worker.perSecond,
      barePerSecond,
      allMinedSeconds: worker.allMinedSeconds,
    };
  } finally {
    await app.close();
    await platform.close();
  }
}

const chain = await startAnvil();
const rows: Row[] = [];
try {
  const token = await deployToken(chain.rpcUrl);
  for (const key of [ANVIL_KEYS.hotWallet, ANVIL_KEYS.user]) {
    await sendToken(chain.rpcUrl, token, ANVIL_KEYS.deployer, privateKeyToAccount(key).address, parseUnits('100000', 6));
  }
  const bare = bareClient(chain, token);
  rows.push(...(await measureAdapter(chain, token, bare)));
  const databases = (process.env.BENCH_DATABASES ?? 'pglite,postgres').split(',');
  if (databases.includes('pglite')) rows.push(await measureWorker('PGlite', {}, chain, token, bare));
  if (databases.includes('postgres')) {
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    try {
      rows.push(await measureWorker('PostgreSQL', { url: postgresUrl, schema }, chain, token, bare));
    } finally {
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    }
  }
} finally {
  await chain.stop();
}
for (const row of rows) console.log(row.shape, JSON.stringify(row));

const figure = (value: number) => value.toFixed(0);
const section = [
  '<!-- bench:settlement:start -->',
  '## Crypto transfers: the EVM chain adapter and the settlement worker (`npm run bench:settlement`)',
  '',
  `Run on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}, anvil (automine: one block per transaction) on the same machine: USDT transfers (a 6-decimals test token) to ${CONFIRMATIONS} confirmations, ${CONFIRMATIONS} empty blocks mined by the bench after the last transfer is sent, alike for every loop (after each transfer one at a time; through the worker, once the hot wallet's last transfer is in a block), confirmations polled every ${POLL_MS} ms. Adapter: \`signTransfer\` (the fee read from the node) → \`broadcast\` of the raw bytes → \`transferStatus\` and \`head\` until deep enough. Bare: viem's \`writeContract\` (gas estimated, nonce and fee from the node, signed locally) → \`getTransactionReceipt\` and \`getBlockNumber\` until deep enough, polled the same way.`,
  '',
  `Settlement worker: ${BUYS} buys of 10 USDT on ERC20, each created over HTTP, paid with the sandbox card and its capture applied (processing, its transfer queued), then one node's worker (\`SETTLEMENT_POLL_INTERVAL=${POLL_MS}ms\`) is started and timed until every buy is \`completed\`: nonce reserved under the wallet's lock and balance checked, the signed bytes recorded before they are sent, the chain asked until deep enough, then the transfer confirmed and the buy completed (history event, queued webhook) in one database transaction. Making the buys and delivering the webhooks are not timed. Beside it, the bare loop sends the same ${BUYS} transfers (recipients and amounts) as a backlog.`,
  '',
  '| shape | transfers | adapter or worker transfers/s | bare viem transfers/s | ratio |',
  '|---|---|---|---|---|',
  ...rows.map(
    (row) =>
      `| ${row.shape} | ${row.transfers} | ${figure(row.perSecond)} | ${figure(row.barePerSecond)} | **${(row.perSecond / row.barePerSecond).toFixed(2)}×** |`,
  ),
  '',
  'One at a time is the shape of a worker that waits for each transfer; a backlog signs and sends with consecutive nonces and waits for all of them together. The adapter signs with a fixed gas limit instead of estimating, and reads the fee with two calls (latest block, suggested tip). The worker makes more node calls per transfer than the bare loop (the mined nonce at reserving and again at signing, the balance, the fee, then receipt, head and block hash at each look), records each step in the database before the next, takes 16 transfers a claim on 4 lanes, and looks again at a mined transfer one poll interval later.',
  '',
  'Over 12 runs minutes apart on this machine, with a CI run sharing its 2 cores during some of them, the worker rows gave 29 to 67 transfers/s beside a bare loop of 66 to 165/s, a ratio between 0.28× and 0.52× in 22 of 24 rows and of 0.63× and 0.84× when the bare loop ran slow, and the adapter rows ratios of 1.45× to 1.94× (one at a time) and 0.75× to 1.15× (backlog): the rates of one run follow the load of the moment, and its ratios are rough.',
  '<!-- bench:settlement:end -->',
].join('\n');
const file = new URL('../docs/benchmarks.md', import.meta.url);
let document = readFileSync(file, 'utf8');
const pattern = /<!-- bench:settlement:start -->[\s\S]*<!-- bench:settlement:end -->/;
document = pattern.test(document) ? document.replace(pattern, section) : `${document.trimEnd()}\n\n${section}\n`;
writeFileSync(file, document);
console.log('\nWrote docs/benchmarks.md');
