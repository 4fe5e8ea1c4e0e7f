/**
 * npm run bench:settlement — how fast crypto transfers go from a backlog to confirmed through the EVM
 * chain adapter (sign → broadcast → wait for confirmations), beside a bare loop of viem writeContract
 * transfers, on the same local anvil in the same run. Two shapes: one transfer at a time (each
 * confirmed before the next), and a backlog (all signed and sent first, with consecutive nonces, then
 * all waited for). anvil mines each transaction in a block of its own; to reach the confirmation
 * depth the bench mines the missing empty blocks, the same way for both loops. Writes
 * docs/benchmarks.md. A benchmark, not a test: nothing here passes or fails.
 *
 * The settlement worker (recording each signed transfer before it is sent) is not in these figures:
 * they are the adapter's own cost against the bare client's.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { type Address, type Hex, parseUnits } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import type { ChainAdapter } from '../packages/server/src/modules/settlement/chain-adapter.ts';
import { parseChainSettings } from '../packages/server/src/modules/settlement/chain-settings.ts';
import { EvmChainAdapter } from '../packages/server/src/modules/settlement/evm-chain-adapter.ts';
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

const TRANSFERS = Number(process.env.BENCH_TRANSFERS ?? 300);
const CONFIRMATIONS = Number(process.env.BENCH_CONFIRMATIONS ?? 3);
const POLL_MS = 50;

interface Row {
  shape: 'one at a time' | 'backlog';
  adapterPerSecond: number;
  barePerSecond: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(chain: LocalEvmChain, token: DeployedToken): Promise<Row[]> {
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
  const { publicClient, testClient, wallet } = clientsFor(chain.rpcUrl);
  const bare = wallet(ANVIL_KEYS.user);
  const network = 'ERC20';
  const recipient = (n: number) => `0x${(0xbee00000 + n).toString(16).padStart(40, '0')}` as Address;
  const topUp = () => testClient.mine({ blocks: CONFIRMATIONS - 1 });

  /** Asks at once, then every POLL_MS, until `deep` says the transfer has its confirmations: the same for both loops. */
  const until = async (deep: () => Promise<boolean>) => {
    while (!(await deep())) await sleep(POLL_MS);
  };
  const confirmed = (hash: string) =>
    until(async () => {
      const status = await adapter.transferStatus({ network, hash });
      if (status.state !== 'mined') return false;
      if (!status.success) throw new Error(`transfer ${hash} reverted`);
      return (await adapter.head({ network })) - status.blockNumber + 1n >= BigInt(CONFIRMATIONS);
    });
  const bareConfirmed = (hash: Hex) =>
    until(async () => {
      const receipt = await publicClient.getTransactionReceipt({ hash }).catch(() => null);
      if (!receipt) return false;
      if (receipt.status !== 'success') throw new Error(`transfer ${hash} reverted`);
      return (await publicClient.getBlockNumber({ cacheTime: 0 })) - receipt.blockNumber + 1n >= BigInt(CONFIRMATIONS);
    });
  const viaAdapter = async (i: number, nonce: bigint) => {
    const signed = await adapter.signTransfer({ network, asset: 'USDT', to: recipient(i), amountMinor: 1_000_000n, nonce });
    await adapter.broadcast({ network, raw: signed.raw });
    return signed.hash;
  };
  const viaViem = (i: number) =>
    bare.writeContract({
      address: token.address,
      abi: token.abi,
      functionName: 'transfer',
      args: [recipient(i), 1_000_000n],
      chain: bare.chain,
      account: bare.account,
    });
  const rate = (started: number) => TRANSFERS / ((performance.now() - started) / 1000);

  // Warm both paths (chain id check, token decimals, connection) outside the timings.
  const warm = await viaAdapter(0, await adapter.minedNonce({ network }));
  await topUp();
  await confirmed(warm);
  const warmBare = await viaViem(0);
  await topUp();
  await bareConfirmed(warmBare);

  // One at a time: each transfer confirmed before the next is signed.
  let started = performance.now();
  let nonce = await adapter.minedNonce({ network });
  for (let i = 0; i < TRANSFERS; i++) {
    const hash = await viaAdapter(i, nonce++);
    await topUp();
    await confirmed(hash);
  }
  const adapterSerial = rate(started);

  started = performance.now();
  for (let i = 0; i < TRANSFERS; i++) {
    const hash = await viaViem(i);
    await topUp();
    await bareConfirmed(hash);
  }
  const bareSerial = rate(started);

  // Backlog: every transfer signed and sent with consecutive nonces, then all waited for.
  started = performance.now();
  nonce = await adapter.minedNonce({ network });
  const hashes: string[] = [];
  for (let i = 0; i < TRANSFERS; i++) hashes.push(await viaAdapter(i, nonce++));
  await topUp();
  await Promise.all(hashes.map(confirmed));
  const adapterBacklog = rate(started);

  started = performance.now();
  const bareHashes: Hex[] = [];
  for (let i = 0; i < TRANSFERS; i++) bareHashes.push(await viaViem(i));
  await topUp();
  await Promise.all(bareHashes.map(bareConfirmed));
  const bareBacklog = rate(started);

  return [
    { shape: 'one at a time', adapterPerSecond: adapterSerial, barePerSecond: bareSerial },
    { shape: 'backlog', adapterPerSecond: adapterBacklog, barePerSecond: bareBacklog },
  ];
}

const chain = await startAnvil();
let rows: Row[];
try {
  const token = await deployToken(chain.rpcUrl);
  for (const key of [ANVIL_KEYS.hotWallet, ANVIL_KEYS.user]) {
    await sendToken(chain.rpcUrl, token, ANVIL_KEYS.deployer, privateKeyToAccount(key).address, parseUnits('100000', 6));
  }
  rows = await measure(chain, token);
} finally {
  await chain.stop();
}
for (const row of rows) console.log(row.shape, JSON.stringify(row));

const section = [
  '<!-- bench:settlement:start -->',
  '## Crypto transfers through the EVM chain adapter (`npm run bench:settlement`)',
  '',
  `Run on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}, anvil (automine: one block per transaction) on the same machine: ${TRANSFERS} USDT transfers (a 6-decimals test token) to ${CONFIRMATIONS} confirmations, the missing empty blocks mined by the bench alike for both loops, confirmations polled every ${POLL_MS} ms. Adapter: \`signTransfer\` (the fee read from the node) → \`broadcast\` of the raw bytes → \`transferStatus\` and \`head\` until deep enough. Bare: viem's \`writeContract\` (gas estimated, nonce and fee from the node, signed locally) → \`getTransactionReceipt\` and \`getBlockNumber\` until deep enough, polled the same way.`,
  '',
  '| shape | adapter transfers/s | bare viem transfers/s | ratio |',
  '|---|---|---|---|',
  ...rows.map(
    (row) =>
      `| ${row.shape} | ${row.adapterPerSecond.toFixed(0)} | ${row.barePerSecond.toFixed(0)} | **${(row.adapterPerSecond / row.barePerSecond).toFixed(2)}×** |`,
  ),
  '',
  'One at a time is the shape of a worker that waits for each transfer; a backlog signs and sends with consecutive nonces and waits for all of them together. The adapter signs with a fixed gas limit instead of estimating, and reads the fee with two calls (latest block, suggested tip); the settlement worker adds its database writes (the signed transfer recorded before it is sent), which these figures leave out.',
  '<!-- bench:settlement:end -->',
].join('\n');
const file = new URL('../docs/benchmarks.md', import.meta.url);
let document = readFileSync(file, 'utf8');
const pattern = /<!-- bench:settlement:start -->[\s\S]*<!-- bench:settlement:end -->/;
document = pattern.test(document) ? document.replace(pattern, section) : `${document.trimEnd()}\n\n${section}\n`;
writeFileSync(file, document);
console.log('\nWrote docs/benchmarks.md');
