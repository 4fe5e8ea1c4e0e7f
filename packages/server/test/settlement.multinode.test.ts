import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parseAbiItem, parseUnits } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANVIL_CHAIN_ID,
  ANVIL_KEYS,
  type ChainClients,
  clientsFor,
  type DeployedToken,
  deployToken,
  type LocalEvmChain,
  sendToken,
  startAnvil,
} from './helpers/local-evm-chain.ts';
import {
  type CreatedPartner,
  childDatabase,
  createPartner,
  forEachLimited,
  type ProofChild,
  startProofServe,
  waitUntil,
} from './helpers/proof-child.ts';
import { payOverHttp } from './helpers/settlement-kit.ts';

/**
 * The production shape for buy settlement: two `proof serve` nodes on one PostgreSQL schema, one hot
 * wallet on one local EVM chain, 200 buys paid through both nodes at once. Both nodes' settlement
 * workers sign and send (leases and FOR UPDATE SKIP LOCKED share the transfers out; the nonce
 * counter's row lock and a unique index share the nonces out): 200 transfers with 200 different
 * nonces, each mined once, every buy completed. The embedded database is one process by design,
 * so this only runs on PostgreSQL.
 */

const BUYS = 200;
const CONCURRENCY = 8;
const TRANSFER = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)');
const hotWallet = privateKeyToAccount(ANVIL_KEYS.hotWallet).address;

describe.skipIf(process.env.PROOF_TEST_DB !== 'postgres')('two nodes settling 200 buys from one hot wallet', () => {
  let anvil: LocalEvmChain;
  let clients: ChainClients;
  let token: DeployedToken;
  let nodes: ProofChild[] = [];
  let partner: CreatedPartner;
  let databaseUrl: string;
  let dropDatabase: () => Promise<void> = async () => {};
  const dataDirs: string[] = [];
  const logFiles: string[] = [];

  beforeAll(async () => {
    anvil = await startAnvil();
    clients = clientsFor(anvil.rpcUrl);
    token = await deployToken(anvil.rpcUrl);
    await sendToken(anvil.rpcUrl, token, ANVIL_KEYS.deployer, hotWallet, parseUnits('100000', 6));
    const database = await childDatabase();
    dropDatabase = database.drop;
    databaseUrl = database.env.DATABASE_URL!;
    const env = {
      ...database.env,
      LOG_LEVEL: 'info',
      SANDBOX_KYC_DELAY: '0',
      SANDBOX_PAYMENT_DELAY: '0',
      RATE_LIMIT_PER_MINUTE: '1000000',
      EMBED_RATE_LIMIT_PER_MINUTE: '1000000',
      SETTLEMENT_POLL_INTERVAL: '200ms',
      EVM_RPC_URL_ERC20: anvil.rpcUrl,
      EVM_CHAIN_ID_ERC20: String(ANVIL_CHAIN_ID),
      EVM_TOKEN_USDT_ERC20: token.address,
      HOT_WALLET_PRIVATE_KEY: ANVIL_KEYS.hotWallet,
      CONFIRMATIONS_ERC20: '1',
    };
    const starting = [0, 1].map((index) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'proof-settle-node-'));
      dataDirs.push(dataDir);
      const logFile = join(tmpdir(), `proof-settle-node-${process.pid}-${index}.log`);
      logFiles.push(logFile);
      return startProofServe({ ...env, DATA_DIR: dataDir }, undefined, { logFile });
    });
    const started = await Promise.allSettled(starting);
    nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    partner = await createPartner(nodes[0]!.url, 'https://partner.example/hooks');
  }, 90_000);

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.kill()));
    await anvil?.stop();
    await dropDatabase();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
    for (const file of logFiles) rmSync(file, { force: true });
  }, 60_000);

  it('never reuse a nonce: 200 transfers, 200 nonces, each mined once, every buy completed', { timeout: 300_000 }, async () => {
    // One verified buyer; the first buy asks for identity verification, the others go straight to payment.
    await payOverHttp(nodes[0]!.url, partner.client_token, { network: 'ERC20', partner_user_id: 'whale', amount: '20' });
    const indexes = Array.from({ length: BUYS - 1 }, (_, i) => i + 1);
    await forEachLimited(indexes, CONCURRENCY, async (i) => {
      // Amounts differ (20.01 … 21.99) so every transfer on chain names its buy.
      await payOverHttp(nodes[i % 2]!.url, partner.client_token, {
        network: 'ERC20',
        partner_user_id: 'whale',
        amount: `${20 + Math.floor(i / 100)}.${String(i % 100).padStart(2, '0')}`,
      });
    });

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const transfers = async () =>
        (
          await client.query<{ status: string; nonce: string; tx_hash: string; amount_minor: string }>(
            'select status, nonce, tx_hash, amount_minor from transfer_intents',
          )
        ).rows;
      let seen = '';
      await waitUntil(
        async () => {
          const rows = await transfers();
          const byStatus: Record<string, number> = {};
          for (const row of rows) byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
          seen = JSON.stringify(byStatus);
          return rows.length === BUYS && rows.every((row) => row.status === 'confirmed');
        },
        240_000,
        () => `transfers by status: ${seen}`,
        500,
      );
      const rows = await transfers();
      expect(new Set(rows.map((row) => row.nonce)).size).toBe(BUYS);
      expect(rows.map((row) => Number(row.nonce)).sort((x, y) => x - y)).toEqual(Array.from({ length: BUYS }, (_, i) => i));
      const completed = await client.query<{ count: string }>(
        "select count(*)::text as count from transactions where status = 'completed' and tx_hash is not null",
      );
      expect(completed.rows[0]!.count).toBe(String(BUYS));

      // The chain agrees: the hot wallet used exactly 200 nonces, and made exactly these 200 transfers.
      expect(await clients.publicClient.getTransactionCount({ address: hotWallet, blockTag: 'pending' })).toBe(BUYS);
      const logs = await clients.publicClient.getLogs({
        address: token.address,
        event: TRANSFER,
        args: { from: hotWallet },
        fromBlock: 0n,
      });
      expect(logs).toHaveLength(BUYS);
      expect(new Set(logs.map((log) => log.transactionHash))).toEqual(new Set(rows.map((row) => row.tx_hash)));
      const sent = logs.reduce((sum, log) => sum + log.args.value!, 0n);
      expect(sent).toBe(rows.reduce((sum, row) => sum + BigInt(row.amount_minor), 0n));
    } finally {
      await client.end();
    }
    // Both nodes took part in sending.
    const broadcastBy = logFiles.map(
      (file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => line.includes('"msg":"transfer broadcast"')).length,
    );
    expect(
      broadcastBy.every((count) => count > 0),
      JSON.stringify(broadcastBy),
    ).toBe(true);
  });
});
