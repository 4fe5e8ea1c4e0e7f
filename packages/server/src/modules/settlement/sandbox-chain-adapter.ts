import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { deriveSandboxAddress } from '../../lib/address.ts';
import { ASSETS, type Asset, assetTravelsOn, isAsset, isNetwork, NETWORKS, type Network } from '../../lib/catalog.ts';
import type { Clock } from '../../lib/clock.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import type { ChainAdapter, Deposit, DepositQuery, SignedTransfer, SignTransferRequest, TransferStatus } from './chain-adapter.ts';
import {
  balanceOf,
  blockHash,
  blockHashes,
  canonicalAddress,
  type Db,
  depositsInto,
  findTransfer,
  formatHash,
  initialHotWalletBalance,
  minedSends,
  readHead,
  SANDBOX_CHAIN_NAME,
  type SandboxChainTiming,
  submitSend,
} from './sandbox-chain-ledger.ts';

/**
 * The sandbox chain: the networks the platform cannot reach from here (TRC20, BITCOIN, SOL, and every
 * network in development unless an EVM RPC URL is set) behind the same interface as a real chain. Its
 * state is in the database (the model is described in sandbox-chain-ledger.ts): deterministic, with
 * blocks that follow the platform clock, and operator tools (sandbox-chain-tools.ts) that send
 * deposits, mine blocks, drop transfers and reorganise the chain. It moves no real coins: production
 * refuses it.
 *
 * Signing: the "signed bytes" are the transfer's fields and an HMAC under a key derived from the
 * signing secret, hex-encoded; the hash is their SHA-256. So signing is deterministic, needs no
 * database, and broadcast refuses bytes this deployment did not sign.
 */
export class SandboxChainAdapter implements ChainAdapter {
  readonly name = SANDBOX_CHAIN_NAME;
  readonly networks: readonly Network[];
  private readonly seedKey: Buffer;
  private readonly database: () => Db;
  private readonly timing: SandboxChainTiming;

  /**
   * `db`: read when a method runs (the adapters are built before the database opens). `seedKey`: a
   * key of its own, derived from the signing secret (hot wallet addresses and signatures differ per
   * deployment). `blockTimeMs`: SANDBOX_BLOCK_TIME.
   */
  constructor(options: { networks: readonly Network[]; seedKey: Buffer; db: () => Db; clock: Clock; blockTimeMs: number }) {
    this.networks = options.networks;
    this.seedKey = options.seedKey;
    this.database = options.db;
    this.timing = { clock: options.clock, blockTimeMs: options.blockTimeMs };
  }

  hotWalletAddress({ network }: { network: Network }): string {
    this.serve(network);
    const seed = createHmac('sha256', this.seedKey).update(`hot-wallet:${network}`).digest();
    return deriveSandboxAddress(NETWORKS[network].addressFormat, seed);
  }

  async signTransfer(request: SignTransferRequest): Promise<SignedTransfer> {
    const { network, asset, amountMinor, nonce } = request;
    this.serve(network, asset);
    const to = canonicalAddress(network, request.to);
    if (!to) throw this.rejected(`not a ${network} address: ${JSON.stringify(request.to)}`);
    if (amountMinor <= 0n) throw this.rejected('the amount must be positive');
    if (nonce < 0n) throw this.rejected('the nonce must not be negative');
    const fields: SandboxTransferFields = {
      v: 1,
      network,
      asset,
      from: this.hotWalletAddress({ network }),
      to,
      amount: amountMinor.toString(),
      nonce: nonce.toString(),
    };
    const raw = `0x${Buffer.from(JSON.stringify({ ...fields, mac: this.mac(fields) })).toString('hex')}`;
    return { hash: hashOfRaw(network, raw), raw };
  }

  async broadcast({ network, raw }: { network: Network; raw: string }): Promise<void> {
    this.serve(network);
    const fields = this.decode(raw);
    if (!fields || fields.network !== network) throw this.rejected(`not a ${network} transfer signed by this sandbox chain`);
    const outcome = await this.guard(() =>
      this.database()
        .transaction()
        .execute(async (trx) => {
          const { head } = await readHead(trx, network, this.timing, true);
          return submitSend(
            trx,
            {
              network,
              hash: hashOfRaw(network, raw),
              asset: fields.asset,
              from: fields.from,
              to: fields.to,
              amountMinor: BigInt(fields.amount),
              nonce: BigInt(fields.nonce),
              raw,
            },
            { head, initial: initialHotWalletBalance(ASSETS[fields.asset].decimals), now: this.timing.clock.now() },
          );
        }),
    );
    if (outcome.outcome === 'nonce_taken') {
      throw new ProviderError({
        provider: this.name,
        kind: 'rejected',
        retryable: !outcome.mined,
        message: outcome.mined
          ? `nonce ${fields.nonce} is used by another mined transfer: these bytes can never be mined`
          : `nonce ${fields.nonce} is held by another transfer waiting in the pool`,
      });
    }
  }

  async transferStatus({ network, hash }: { network: Network; hash: string }): Promise<TransferStatus> {
    this.serve(network);
    return this.guard(async () => {
      const db = this.database();
      const transfer = await findTransfer(db, network, hash);
      if (!transfer || transfer.dropped) return { state: 'unknown' };
      const { head } = await readHead(db, network, this.timing);
      if (transfer.blockNumber === null || transfer.blockNumber > head) return { state: 'pending' };
      const hashOfBlock = await blockHash(db, network, transfer.blockNumber, head);
      return { state: 'mined', blockNumber: transfer.blockNumber, blockHash: hashOfBlock!, success: transfer.success };
    });
  }

  async head({ network }: { network: Network }): Promise<bigint> {
    this.serve(network);
    return this.guard(async () => (await readHead(this.database(), network, this.timing)).head);
  }

  async blockHash({ network, number }: { network: Network; number: bigint }): Promise<string | null> {
    this.serve(network);
    return this.guard(async () => {
      const db = this.database();
      const { head } = await readHead(db, network, this.timing);
      return blockHash(db, network, number, head);
    });
  }

  async minedNonce({ network }: { network: Network }): Promise<bigint> {
    this.serve(network);
    const from = this.hotWalletAddress({ network });
    return this.guard(async () => {
      const db = this.database();
      const { head } = await readHead(db, network, this.timing);
      return minedSends(db, network, from, head);
    });
  }

  async balance({ network, asset, address }: { network: Network; asset: Asset; address?: string }): Promise<bigint> {
    this.serve(network, asset);
    const hotWallet = this.hotWalletAddress({ network });
    const owner = address === undefined ? hotWallet : canonicalAddress(network, address);
    if (!owner) throw this.rejected(`not a ${network} address: ${JSON.stringify(address)}`);
    return this.guard(async () => {
      const db = this.database();
      const { head } = await readHead(db, network, this.timing);
      const initial = owner === hotWallet ? initialHotWalletBalance(ASSETS[asset].decimals) : 0n;
      return balanceOf(db, { network, asset, address: owner, initial, upTo: head });
    });
  }

  async deposits(query: DepositQuery): Promise<Deposit[]> {
    const { network, asset } = query;
    this.serve(network, asset);
    // The caller's spelling of each address, by its canonical form (what the ledger stores).
    const spelling = new Map<string, string>();
    for (const address of query.addresses) {
      const canonical = canonicalAddress(network, address);
      if (canonical && !spelling.has(canonical)) spelling.set(canonical, address);
    }
    return this.guard(async () => {
      const db = this.database();
      const { head } = await readHead(db, network, this.timing);
      const found = await depositsInto(db, {
        network,
        asset,
        addresses: [...spelling.keys()],
        fromBlock: query.fromBlock < 0n ? 0n : query.fromBlock,
        // Blocks past the head do not exist yet.
        toBlock: lower(query.toBlock, head),
      });
      const hashes = await blockHashes(db, network, [...new Set(found.map((deposit) => deposit.blockNumber))]);
      return found.map((deposit) => ({
        hash: deposit.hash,
        logIndex: 0,
        from: deposit.from,
        to: spelling.get(deposit.to) ?? deposit.to,
        amountMinor: deposit.amountMinor,
        blockNumber: deposit.blockNumber,
        blockHash: hashes.get(deposit.blockNumber)!,
      }));
    });
  }

  private serve(network: Network, asset?: Asset): void {
    if (!isNetwork(network) || !this.networks.includes(network)) throw this.rejected(`the sandbox chain does not serve ${network}`);
    if (asset !== undefined && (!isAsset(asset) || !assetTravelsOn(asset, network)))
      throw this.rejected(`${asset} does not travel on ${network}`);
  }

  private mac(fields: SandboxTransferFields): string {
    return createHmac('sha256', this.seedKey).update(JSON.stringify(fields)).digest('hex');
  }

  private decode(raw: string): SandboxTransferFields | null {
    if (typeof raw !== 'string' || !/^0x(?:[0-9a-f]{2})+$/.test(raw)) return null;
    let parsed: Partial<SandboxTransferFields> & { mac?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(raw.slice(2), 'hex').toString('utf8'));
    } catch {
      return null;
    }
    const { v, network, asset, from, to, amount, nonce, mac } = parsed;
    if (v !== 1 || typeof network !== 'string' || !isNetwork(network) || typeof asset !== 'string' || !isAsset(asset)) return null;
    if (typeof from !== 'string' || typeof to !== 'string' || typeof amount !== 'string' || typeof nonce !== 'string') return null;
    if (!/^[1-9]\d*$/.test(amount) || !/^(0|[1-9]\d*)$/.test(nonce) || typeof mac !== 'string') return null;
    const fields: SandboxTransferFields = { v, network, asset, from, to, amount, nonce };
    const expected = Buffer.from(this.mac(fields), 'hex');
    const given = Buffer.from(mac, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected) ? fields : null;
  }

  private rejected(message: string): ProviderError {
    return new ProviderError({ provider: this.name, kind: 'rejected', message });
  }

  /** The database is this chain's node: when it fails, the chain is unavailable. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      throw new ProviderError({ provider: this.name, kind: 'unavailable', message: `sandbox chain: ${(error as Error).message}` });
    }
  }
}

interface SandboxTransferFields {
  v: 1;
  network: Network;
  asset: Asset;
  from: string;
  to: string;
  amount: string;
  nonce: string;
}

function lower(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function hashOfRaw(network: Network, raw: string): string {
  return formatHash(
    network,
    createHash('sha256')
      .update(Buffer.from(raw.slice(2), 'hex'))
      .digest(),
  );
}
