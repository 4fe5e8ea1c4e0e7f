import { createHash } from 'node:crypto';
import type { Asset, Network } from '../../src/lib/catalog.ts';
import { ProviderError } from '../../src/lib/provider-error.ts';
import type {
  ChainAdapter,
  Deposit,
  DepositQuery,
  SignedTransfer,
  SignTransferRequest,
  TransferStatus,
} from '../../src/modules/settlement/chain-adapter.ts';

/**
 * An in-memory chain behind the ChainAdapter interface, for tests that need what neither the sandbox
 * chain nor a local EVM chain does on demand: a transfer reverted on chain, a transfer refused for
 * good, a node that fails, and counting every signature and broadcast. One hot wallet; blocks are
 * mined by `mine()` (or at once with `automine`), in nonce order like an EVM chain; a transfer the
 * wallet cannot cover when mined is mined reverted. State is replayed from the blocks, so a
 * reorganisation (`reorg`) undoes balances and nonces exactly.
 */

interface FakeTransfer {
  hash: string;
  raw: string;
  asset: Asset;
  to: string;
  amount: bigint;
  nonce: bigint;
  /** Sent by someone else holding the wallet's key: the platform never signed it. */
  foreign: boolean;
}

interface Block {
  number: bigint;
  hash: string;
  transfers: Array<{ hash: string; success: boolean }>;
}

export class FakeChain implements ChainAdapter {
  readonly name = 'fake-chain';
  readonly networks: readonly Network[];
  readonly wallet: string;
  automine = false;
  /** Addresses whose transfers revert when mined (a token contract that refuses them). */
  readonly revertTo = new Set<string>();
  /** The next broadcast fails like this (then the chain behaves again). */
  refuseNextBroadcast: ProviderError | null = null;
  /** The next signature fails like this. */
  refuseNextSign: ProviderError | null = null;
  /** Every call fails with ProviderError `unavailable` while set. */
  down = false;
  /** Calls made, by method; signatures and broadcasts with their nonce and hash. */
  readonly calls: Record<string, number> = {};
  readonly signatures: Array<{ nonce: bigint; hash: string }> = [];
  readonly broadcasts: string[] = [];

  private readonly genesis = new Map<string, bigint>();
  private readonly known = new Map<string, FakeTransfer>();
  private readonly pool = new Set<string>();
  private blocks: Block[] = [{ number: 0n, hash: '0xgenesis', transfers: [] }];
  private epoch = 0;

  constructor(options: { network: Network; wallet?: string; balances?: Partial<Record<Asset, bigint>> }) {
    this.networks = [options.network];
    this.wallet = options.wallet ?? '0x00000000000000000000000000000000000000aa';
    for (const [asset, amount] of Object.entries(options.balances ?? {})) this.genesis.set(asset, amount!);
  }

  hotWalletAddress(): string {
    this.count('hotWalletAddress');
    return this.wallet;
  }

  async signTransfer(request: SignTransferRequest): Promise<SignedTransfer> {
    this.count('signTransfer');
    const refusal = this.refuseNextSign;
    if (refusal) {
      this.refuseNextSign = null;
      throw refusal;
    }
    const body = {
      from: this.wallet,
      asset: request.asset,
      to: request.to,
      amount: request.amountMinor.toString(),
      nonce: request.nonce.toString(),
    };
    const raw = `0x${Buffer.from(JSON.stringify(body)).toString('hex')}`;
    const hash = `0x${createHash('sha256').update(raw).digest('hex')}`;
    this.signatures.push({ nonce: request.nonce, hash });
    return { hash, raw };
  }

  async broadcast({ raw }: { network: Network; raw: string }): Promise<void> {
    this.count('broadcast');
    const refusal = this.refuseNextBroadcast;
    if (refusal) {
      this.refuseNextBroadcast = null;
      throw refusal;
    }
    const body = JSON.parse(Buffer.from(raw.slice(2), 'hex').toString()) as {
      from: string;
      asset: Asset;
      to: string;
      amount: string;
      nonce: string;
    };
    if (body.from !== this.wallet)
      throw new ProviderError({ provider: this.name, kind: 'rejected', retryable: false, message: 'signed by another key' });
    const hash = `0x${createHash('sha256').update(raw).digest('hex')}`;
    this.broadcasts.push(hash);
    if (this.minedBlockOf(hash) || this.pool.has(hash)) return;
    if (BigInt(body.nonce) < this.nextNonce()) {
      throw new ProviderError({ provider: this.name, kind: 'rejected', retryable: false, message: 'nonce too low' });
    }
    this.known.set(hash, {
      hash,
      raw,
      asset: body.asset,
      to: body.to,
      amount: BigInt(body.amount),
      nonce: BigInt(body.nonce),
      foreign: false,
    });
    this.pool.add(hash);
    if (this.automine) this.mine();
  }

  async transferStatus({ hash }: { network: Network; hash: string }): Promise<TransferStatus> {
    this.count('transferStatus');
    const block = this.minedBlockOf(hash);
    if (block)
      return {
        state: 'mined',
        blockNumber: block.number,
        blockHash: block.hash,
        success: block.transfers.find((t) => t.hash === hash)!.success,
      };
    return this.pool.has(hash) ? { state: 'pending' } : { state: 'unknown' };
  }

  async head(): Promise<bigint> {
    this.count('head');
    return this.blocks.at(-1)!.number;
  }

  async blockHash({ number }: { network: Network; number: bigint }): Promise<string | null> {
    this.count('blockHash');
    return this.blocks[Number(number)]?.hash ?? null;
  }

  async minedNonce(): Promise<bigint> {
    this.count('minedNonce');
    return this.nextNonce();
  }

  async balance({ asset, address }: { network: Network; asset: Asset; address?: string }): Promise<bigint> {
    this.count('balance');
    return this.state().balances.get(`${asset}:${address ?? this.wallet}`) ?? 0n;
  }

  async deposits(_query: DepositQuery): Promise<Deposit[]> {
    return [];
  }

  // ------------------------------------------------------------------ test controls

  /** Mines `count` blocks; each takes the pool's transfers whose nonce is next, in nonce order. */
  mine(count = 1): void {
    for (let i = 0; i < count; i++) {
      const number = this.blocks.at(-1)!.number + 1n;
      const { balances } = this.state();
      let next = this.nextNonce();
      const transfers: Block['transfers'] = [];
      for (;;) {
        const transfer = [...this.pool].map((hash) => this.known.get(hash)!).find((candidate) => candidate.nonce === next);
        if (!transfer) break;
        const key = `${transfer.asset}:${this.wallet}`;
        const success = !this.revertTo.has(transfer.to) && (balances.get(key) ?? 0n) >= transfer.amount;
        if (success) {
          balances.set(key, (balances.get(key) ?? 0n) - transfer.amount);
          balances.set(`${transfer.asset}:${transfer.to}`, (balances.get(`${transfer.asset}:${transfer.to}`) ?? 0n) + transfer.amount);
        }
        transfers.push({ hash: transfer.hash, success });
        this.pool.delete(transfer.hash);
        next += 1n;
      }
      // Transfers whose nonce another transaction took can never be mined: the pool forgets them.
      for (const hash of [...this.pool]) if (this.known.get(hash)!.nonce < next) this.pool.delete(hash);
      this.blocks.push({ number, hash: `0xblock${number}e${this.epoch}`, transfers });
    }
  }

  /** Undoes the last `depth` blocks: their transfers go back to the pool (or vanish with `drop`), new blocks get new hashes. */
  reorg(depth: number, options: { drop?: boolean } = {}): void {
    this.epoch += 1;
    const undone = this.blocks.splice(this.blocks.length - depth, depth);
    if (!options.drop) for (const block of undone) for (const transfer of block.transfers) this.pool.add(transfer.hash);
  }

  /** Forgets a pending transfer (a node restart, a full pool). */
  dropFromPool(hash: string): void {
    this.pool.delete(hash);
  }

  /** Someone else holding the wallet's key sends a transaction with the next nonce (mined at once). */
  sendForeign(asset: Asset, to: string, amount: bigint): string {
    const nonce = this.nextNonce();
    const hash = `0xforeign${nonce}`;
    this.known.set(hash, { hash, raw: '', asset, to, amount, nonce, foreign: true });
    this.pool.add(hash);
    this.mine();
    return hash;
  }

  fund(asset: Asset, amount: bigint): void {
    this.genesis.set(asset, (this.genesis.get(asset) ?? 0n) + amount);
  }

  /** Successful transfers of the platform's own to `to`, as mined now. */
  deliveredTo(to: string): Array<{ hash: string; amount: bigint }> {
    return this.blocks.flatMap((block) =>
      block.transfers
        .filter((transfer) => transfer.success && this.known.get(transfer.hash)!.to === to)
        .map((transfer) => ({ hash: transfer.hash, amount: this.known.get(transfer.hash)!.amount })),
    );
  }

  private minedBlockOf(hash: string): Block | undefined {
    return this.blocks.find((block) => block.transfers.some((transfer) => transfer.hash === hash));
  }

  private nextNonce(): bigint {
    return BigInt(this.blocks.reduce((sum, block) => sum + block.transfers.length, 0));
  }

  private state(): { balances: Map<string, bigint> } {
    const balances = new Map<string, bigint>();
    for (const [asset, amount] of this.genesis) balances.set(`${asset}:${this.wallet}`, amount);
    for (const block of this.blocks) {
      for (const { hash, success } of block.transfers) {
        if (!success) continue;
        const transfer = this.known.get(hash)!;
        const from = `${transfer.asset}:${this.wallet}`;
        const to = `${transfer.asset}:${transfer.to}`;
        balances.set(from, (balances.get(from) ?? 0n) - transfer.amount);
        balances.set(to, (balances.get(to) ?? 0n) + transfer.amount);
      }
    }
    return { balances };
  }

  private count(method: string): void {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
    if (this.down) throw new ProviderError({ provider: this.name, kind: 'unavailable', message: 'the node does not answer' });
  }
}
