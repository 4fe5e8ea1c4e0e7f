import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.ts';
import { ASSETS, type Asset, type Network } from '../../lib/catalog.ts';
import { formatAmount } from '../../lib/money.ts';
import { ProviderError } from '../../lib/provider-error.ts';
import type { Platform } from '../../platform.ts';
import type { TransactionEvent } from '../delivery/event-bus.ts';
import { NoPaymentToRefundError, refundPayment } from '../payments/payment-service.ts';
import { announceStatusChanges, changeStatusWithin, IllegalTransitionError } from '../transactions/change-status.ts';
import { lockTransaction } from '../transactions/transaction-store.ts';
import { raiseAlert, resolveAlert } from './alert-store.ts';
import type { ChainAdapter, TransferStatus } from './chain-adapter.ts';
import { lockNonces, releaseNonce, takeNonce } from './hot-wallet-store.ts';
import { ALERT_AFTER_ERRORS, type ChainView, pickNonce, type Reconciliation, reconcile, retryDelayMs } from './transfer-machine.ts';
import { lockTransferIntent, outgoingAmount, type TransferIntent, updateTransferIntent } from './transfer-store.ts';
import type { TransferFailure } from './transfer-vocabulary.ts';

/**
 * One round of work on one claimed transfer: as many steps as can be taken now (reserve a nonce,
 * sign, send, look at the chain), then when to look again. Every step records its result before the
 * next one starts, and every change is conditional on the row still being where this round saw it,
 * so a round that lost its lease, or raced another node, changes nothing it should not.
 *
 * No adapter is called inside a database transaction: the embedded database has one session (a
 * database-backed sandbox chain would wait on it forever), and a row lock held over a node call
 * would make every other signer of the wallet wait on the slowest call.
 */

/** How far a balance read may lag the counting of transfers: confirmations within this of the read count as not in it yet. */
const BALANCE_READ_MARGIN_MS = 60_000;
/** Steps one round takes at most before it lets other transfers have the worker. */
const MAX_STEPS = 8;

export interface RoundOutcome {
  nextAttemptAt: Date;
  /** What stood in the way (kept on the transfer for operators), or null. */
  problem: string | null;
  /** The round failed (a node error, a bug): the next wait grows, and after a few an alert is raised. */
  failed: boolean;
}

type Step = { intent: TransferIntent; fresh?: boolean } | { wait: Date; problem?: string };

interface Round {
  platform: Platform;
  chain: ChainAdapter;
  network: Network;
  asset: Asset;
  depth: number;
}

export async function advanceTransfer(platform: Platform, claimed: TransferIntent): Promise<RoundOutcome> {
  const later = (ms: number) => new Date(platform.clock.now().getTime() + ms);
  const network = claimed.network as Network;
  const asset = claimed.asset as Asset;
  let intent = claimed;
  try {
    if (intent.status === 'refunding') {
      await refundAndFail(platform, intent);
      return { nextAttemptAt: later(0), problem: null, failed: false };
    }
    let round: Round;
    try {
      const chains = platform.providers.chains;
      round = { platform, chain: chains.chainFor(network), network, asset, depth: chains.confirmationsFor(network) };
    } catch (error) {
      if (!(error instanceof ProviderError) || error.retryable) throw error;
      // No adapter serves the network (CHAIN_ADAPTER_<NETWORK>=none). A transfer not signed yet can never
      // be sent, so the payment goes back; a signed one may be on its way or delivered, so it only waits
      // (with an alert after a few rounds) until an adapter can tell.
      if (intent.status !== 'queued' && intent.status !== 'reserved') throw error;
      await giveUp(platform, intent, 'rejected', error.message);
      return { nextAttemptAt: later(0), problem: null, failed: false };
    }
    let fresh = false;
    let outcome: RoundOutcome = { nextAttemptAt: later(0), problem: null, failed: false };
    for (let step = 0; step < MAX_STEPS; step++) {
      const next = await takeStep(round, intent, fresh);
      if ('wait' in next) {
        outcome = { nextAttemptAt: next.wait, problem: next.problem ?? null, failed: false };
        break;
      }
      intent = next.intent;
      fresh = next.fresh === true;
    }
    // A round that went through after failed ones clears the alert those raised.
    if (claimed.errors > 0) await resolveAlert(platform.db, { kind: 'chain_unavailable', subject: claimed.id, now: platform.clock.now() });
    return outcome;
  } catch (error) {
    const errors = claimed.errors + 1;
    const message = error instanceof Error ? error.message : String(error);
    const log = {
      err: error,
      transferId: intent.id,
      transactionId: intent.transaction_id,
      network,
      status: intent.status,
      attempt: errors,
    };
    if (error instanceof ProviderError) platform.logger.warn(log, 'settlement round failed; it is tried again');
    else platform.logger.error(log, 'settlement round failed unexpectedly; it is tried again');
    if (errors >= ALERT_AFTER_ERRORS) {
      const refunding = intent.status === 'refunding';
      await raiseAlert(platform.db, {
        kind: refunding ? 'refund_failed' : 'chain_unavailable',
        subject: intent.id,
        network,
        asset,
        transferId: intent.id,
        transactionId: intent.transaction_id,
        message: refunding
          ? `The refund of transfer ${intent.id} failed ${errors} times in a row (${message}); it is tried again.`
          : `Transfer ${intent.id} on ${network} failed ${errors} rounds in a row (${message}); it is tried again.`,
        now: platform.clock.now(),
      });
    }
    return { nextAttemptAt: later(retryDelayMs(errors)), problem: message, failed: true };
  }
}

async function takeStep(round: Round, intent: TransferIntent, fresh: boolean): Promise<Step> {
  switch (intent.status) {
    case 'queued':
      return reserveNonce(round, intent);
    case 'reserved':
      return sign(round, intent);
    case 'signed':
      return fresh ? send(round, intent) : lookAtChain(round, intent);
    case 'broadcast':
    case 'mined':
      return lookAtChain(round, intent);
    case 'refunding':
      await refundAndFail(round.platform, intent);
      return { wait: round.platform.clock.now() };
    case 'confirmed':
    case 'failed':
      return { wait: round.platform.clock.now() };
  }
}

const poll = (platform: Platform) => new Date(platform.clock.now().getTime() + platform.config.settlementPollIntervalMs);
const retryLater = (platform: Platform) => new Date(platform.clock.now().getTime() + platform.config.settlementRetryMs);

/**
 * queued → reserved: checks that the hot wallet can cover the transfer beside everything it has
 * promised, and holds the wallet's next nonce for it, under the nonce counter's row lock (so two
 * nodes never hand out one nonce, and never both spend the same funds).
 */
async function reserveNonce(round: Round, intent: TransferIntent): Promise<Step> {
  const { platform, chain, network, asset } = round;
  const from = chain.hotWalletAddress({ network });
  const readAt = platform.clock.now();
  const minedNonce = await chain.minedNonce({ network });
  const balance = await chain.balance({ network, asset });
  const result = await platform.db.transaction().execute(async (trx) => {
    const locked = await lockTransferIntent(trx, intent.id);
    if (locked?.status !== 'queued') return { moved: true as const };
    const nonces = await lockNonces(trx, { network, address: from, minedNonce, now: readAt });
    const confirmedSince = new Date(readAt.getTime() - BALANCE_READ_MARGIN_MS);
    const outgoing = await outgoingAmount(trx, { network, asset, fromAddress: from, confirmedSince });
    const amount = BigInt(locked.amount_minor);
    if (balance - outgoing < amount) return { short: { balance, outgoing, amount } };
    const picked = pickNonce({ next: nonces.next, minedNonce, released: nonces.released });
    await takeNonce(trx, { network, address: from, now: readAt }, { ...picked, minedNonce, next: nonces.next });
    const reserved = await updateTransferIntent(
      trx,
      locked.id,
      { status: 'queued' },
      { status: 'reserved', from_address: from, nonce: picked.nonce.toString(), updated_at: platform.clock.now() },
    );
    return { reserved: reserved! };
  });
  if ('moved' in result) return { wait: poll(platform) };
  if ('short' in result) {
    const { balance: has, outgoing, amount } = result.short!;
    const decimals = ASSETS[asset].decimals;
    const show = (minor: bigint) => `${formatAmount(minor, decimals)} ${asset}`;
    const message =
      `Hot wallet ${from} on ${network} holds ${show(has)}, of which ${show(outgoing)} is promised to transfers on their way; ` +
      `transfer ${intent.id} needs ${show(amount)}. Fund the wallet: the transfer is tried again every ${Math.round(platform.config.settlementRetryMs / 1000)} s.`;
    const opened = await raiseAlert(platform.db, {
      kind: 'insufficient_funds',
      subject: intent.id,
      network,
      asset,
      walletAddress: from,
      transferId: intent.id,
      transactionId: intent.transaction_id,
      message,
      now: platform.clock.now(),
    });
    const log = {
      transferId: intent.id,
      transactionId: intent.transaction_id,
      network,
      asset,
      wallet: from,
      balanceMinor: has.toString(),
      outgoingMinor: outgoing.toString(),
      neededMinor: amount.toString(),
    };
    if (opened) platform.logger.error(log, 'hot wallet cannot cover a transfer; it waits for funds');
    else platform.logger.warn(log, 'hot wallet still cannot cover a transfer');
    return { wait: retryLater(platform), problem: 'insufficient funds in the hot wallet' };
  }
  await resolveAlert(platform.db, { kind: 'insufficient_funds', subject: intent.id, now: platform.clock.now() });
  return { intent: result.reserved };
}

/**
 * reserved → signed: signs with the reserved nonce and records the hash and bytes. Nothing has been
 * sent with this nonce (sending needs recorded bytes), so signing again after a crash is safe. A
 * nonce the chain has passed meanwhile (the wallet used elsewhere) is given up for a new one.
 */
async function sign(round: Round, intent: TransferIntent): Promise<Step> {
  const { platform, chain, network, asset } = round;
  const nonce = BigInt(intent.nonce!);
  const minedNonce = await chain.minedNonce({ network });
  if (minedNonce > nonce) {
    platform.logger.warn(
      { transferId: intent.id, network, nonce: nonce.toString(), minedNonce: minedNonce.toString() },
      'a reserved nonce was used by a transaction the platform did not sign; reserving another',
    );
    const requeued = await updateTransferIntent(
      platform.db,
      intent.id,
      { status: 'reserved', nonce: intent.nonce },
      { status: 'queued', nonce: null, from_address: null, updated_at: platform.clock.now() },
    );
    return requeued ? { intent: requeued } : { wait: poll(platform) };
  }
  let signed: { hash: string; raw: string };
  try {
    signed = await chain.signTransfer({ network, asset, to: intent.to_address, amountMinor: BigInt(intent.amount_minor), nonce });
  } catch (error) {
    if (error instanceof ProviderError && !error.retryable)
      return giveUp(platform, intent, 'rejected', `refused by the signer: ${error.message}`);
    throw error;
  }
  const recorded = await updateTransferIntent(
    platform.db,
    intent.id,
    { status: 'reserved', nonce: intent.nonce },
    { status: 'signed', tx_hash: signed.hash, raw_tx: signed.raw, signed_at: platform.clock.now(), updated_at: platform.clock.now() },
  );
  if (!recorded) return { wait: poll(platform) };
  return { intent: recorded, fresh: true };
}

/**
 * Sends the recorded bytes (never anything else). A refusal the node says may pass later (the fee
 * cannot be paid yet) alerts and waits; one it says can never pass is judged against the chain:
 * ours after all, its nonce taken by another transaction, or refused with the nonce still free (then
 * the transfer fails and the nonce is given back).
 */
async function send(round: Round, intent: TransferIntent): Promise<Step> {
  const { platform, chain, network } = round;
  try {
    await chain.broadcast({ network, raw: intent.raw_tx! });
  } catch (error) {
    if (!(error instanceof ProviderError) || error.kind !== 'rejected') throw error;
    if (error.retryable) {
      const opened = await raiseAlert(platform.db, {
        kind: 'broadcast_refused',
        subject: intent.id,
        network,
        asset: round.asset,
        walletAddress: intent.from_address,
        transferId: intent.id,
        transactionId: intent.transaction_id,
        message: `The node refuses transfer ${intent.id} (nonce ${intent.nonce}) for now: ${error.message}. The same bytes are sent again later.`,
        now: platform.clock.now(),
      });
      const log = { transferId: intent.id, network, nonce: intent.nonce, hash: intent.tx_hash, reason: error.message };
      if (opened) platform.logger.error(log, 'the node refuses a transfer for now; it is sent again later');
      return { wait: retryLater(platform), problem: `refused for now: ${error.message}` };
    }
    return judgeRefusal(round, intent, error);
  }
  await resolveAlert(platform.db, { kind: 'broadcast_refused', subject: intent.id, now: platform.clock.now() });
  if (intent.status === 'signed') {
    const sent = await updateTransferIntent(
      platform.db,
      intent.id,
      { status: 'signed', txHash: intent.tx_hash },
      { status: 'broadcast', broadcast_at: platform.clock.now(), updated_at: platform.clock.now() },
    );
    if (!sent) return { wait: poll(platform) };
    platform.logger.info({ transferId: intent.id, network, nonce: intent.nonce, hash: intent.tx_hash }, 'transfer broadcast');
    // Looked at once at once (a local chain mines it on the spot).
    return { intent: sent };
  }
  // Sent again while recorded as sent: the next look is after the poll interval.
  return { wait: poll(platform) };
}

/** A refusal for good at broadcast: what the chain says decides between ours after all, a lost nonce, and failure. */
async function judgeRefusal(round: Round, intent: TransferIntent, refusal: ProviderError): Promise<Step> {
  const decision = reconcile(recordedOf(intent), await viewOf(round, intent), round.depth);
  if (decision.do === 'rebroadcast') {
    // Unknown to the node and its nonce free, yet refused for good: these bytes can never be mined.
    return giveUp(round.platform, intent, 'rejected', `refused by the node: ${refusal.message}`);
  }
  return apply(round, intent, decision);
}

/** Asks the chain about a signed transfer and acts on what `reconcile` makes of the answer. */
async function lookAtChain(round: Round, intent: TransferIntent): Promise<Step> {
  return apply(round, intent, reconcile(recordedOf(intent), await viewOf(round, intent), round.depth));
}

function recordedOf(intent: TransferIntent) {
  return {
    status: intent.status,
    nonce: BigInt(intent.nonce!),
    minedBlock: intent.mined_block === null ? null : BigInt(intent.mined_block),
    minedBlockHash: intent.mined_block_hash,
    nonceLostAtHead: intent.nonce_lost_at_head === null ? null : BigInt(intent.nonce_lost_at_head),
  };
}

async function viewOf(round: Round, intent: TransferIntent): Promise<ChainView> {
  const { chain, network } = round;
  const hash = intent.tx_hash!;
  let transfer: TransferStatus = await chain.transferStatus({ network, hash });
  if (transfer.state === 'unknown') {
    const minedNonce = await chain.minedNonce({ network });
    // Read after the nonce: a transfer of ours mined between the two reads shows here, not as lost.
    if (minedNonce > BigInt(intent.nonce!)) transfer = await chain.transferStatus({ network, hash });
    if (transfer.state === 'unknown') return { state: 'unknown', head: await chain.head({ network }), minedNonce };
  }
  if (transfer.state === 'pending') return { state: 'pending', head: await chain.head({ network }) };
  const head = await chain.head({ network });
  const canonicalHash = await chain.blockHash({ network, number: transfer.blockNumber });
  return { ...transfer, head, canonicalHash };
}

async function apply(round: Round, intent: TransferIntent, decision: Reconciliation): Promise<Step> {
  const { platform, network } = round;
  const now = platform.clock.now();
  const from = { status: intent.status, txHash: intent.tx_hash };
  const log = { transferId: intent.id, transactionId: intent.transaction_id, network, nonce: intent.nonce, hash: intent.tx_hash };
  if ('reorged' in decision && decision.reorged) {
    platform.logger.warn(
      { ...log, block: intent.mined_block, blockHash: intent.mined_block_hash },
      'a reorganisation moved a transfer out of its block; waiting for it again',
    );
  }
  switch (decision.do) {
    case 'wait_mined': {
      const changed =
        intent.status !== 'mined' ||
        decision.reorged ||
        intent.confirmations !== Number(decision.confirmations) ||
        intent.nonce_lost_at_head !== null;
      if (changed) {
        await updateTransferIntent(platform.db, intent.id, from, {
          status: 'mined',
          mined_block: decision.block.number.toString(),
          mined_block_hash: decision.block.hash,
          confirmations: Number(decision.confirmations),
          nonce_lost_at_head: null,
          broadcast_at: intent.broadcast_at ?? now,
          updated_at: now,
        });
      }
      return { wait: poll(platform) };
    }
    case 'final':
      if (decision.success) return complete(round, intent, decision);
      return giveUp(platform, intent, 'reverted', `reverted in block ${decision.block.number} (${decision.block.hash})`);
    case 'wait_pending':
      if (intent.status !== 'broadcast' || intent.mined_block !== null || intent.nonce_lost_at_head !== null) {
        await updateTransferIntent(platform.db, intent.id, from, {
          status: 'broadcast',
          mined_block: null,
          mined_block_hash: null,
          confirmations: 0,
          nonce_lost_at_head: null,
          broadcast_at: intent.broadcast_at ?? now,
          updated_at: now,
        });
      }
      return { wait: poll(platform) };
    case 'rebroadcast': {
      let current = intent;
      if (intent.status === 'mined' || intent.nonce_lost_at_head !== null) {
        const back = await updateTransferIntent(platform.db, intent.id, from, {
          status: 'broadcast',
          mined_block: null,
          mined_block_hash: null,
          confirmations: 0,
          nonce_lost_at_head: null,
          updated_at: now,
        });
        if (!back) return { wait: poll(platform) };
        current = back;
      }
      if (intent.status !== 'signed')
        platform.logger.info(log, 'transfer unknown to the node with its nonce free; sending the same bytes again');
      return send(round, current);
    }
    case 'nonce_lost': {
      if (!decision.final) {
        if (intent.nonce_lost_at_head === null) {
          await updateTransferIntent(platform.db, intent.id, from, {
            nonce_lost_at_head: decision.sinceHead.toString(),
            mined_block: null,
            mined_block_hash: null,
            confirmations: 0,
            updated_at: now,
          });
          await raiseAlert(platform.db, {
            kind: 'nonce_consumed',
            subject: intent.id,
            network,
            asset: round.asset,
            walletAddress: intent.from_address,
            transferId: intent.id,
            transactionId: intent.transaction_id,
            message:
              `Nonce ${intent.nonce} of hot wallet ${intent.from_address} on ${network} was used by a transaction the platform did not sign; ` +
              `transfer ${intent.id} is signed again with a new nonce once that is ${round.depth} blocks deep. Is the hot wallet's key used elsewhere?`,
            now,
          });
          platform.logger.error(log, 'a transfer nonce was used by a transaction the platform did not sign');
        }
        return { wait: poll(platform) };
      }
      // The other transaction is final: these bytes can never be mined, a new signature is safe.
      const requeued = await updateTransferIntent(platform.db, intent.id, from, {
        status: 'queued',
        nonce: null,
        from_address: null,
        tx_hash: null,
        raw_tx: null,
        signed_at: null,
        broadcast_at: null,
        mined_block: null,
        mined_block_hash: null,
        confirmations: 0,
        nonce_lost_at_head: null,
        updated_at: now,
      });
      platform.logger.warn(log, 'the nonce of a transfer was taken for good by another transaction; signing it again');
      return requeued ? { intent: requeued } : { wait: poll(platform) };
    }
  }
}

/** Deep enough and successful: the transfer is confirmed and the transaction completed with its hash, together. */
async function complete(round: Round, intent: TransferIntent, decision: Extract<Reconciliation, { do: 'final' }>): Promise<Step> {
  const { platform } = round;
  const now = platform.clock.now();
  const outcome = await platform.db.transaction().execute(async (trx) => {
    // The transaction's row first, then the transfer's: the order every status change with a transfer takes.
    await lockTransaction(trx, { id: intent.transaction_id });
    const locked = await lockTransferIntent(trx, intent.id);
    if (!locked || locked.status !== intent.status || locked.tx_hash !== intent.tx_hash) return null;
    const event = await changeStatusOrLog(platform, trx, intent, { to: 'completed', reason: 'crypto_delivered', txHash: intent.tx_hash! });
    const confirmed = await updateTransferIntent(
      trx,
      intent.id,
      { status: intent.status, txHash: intent.tx_hash },
      {
        status: 'confirmed',
        mined_block: decision.block.number.toString(),
        mined_block_hash: decision.block.hash,
        confirmations: Number(decision.confirmations),
        nonce_lost_at_head: null,
        broadcast_at: intent.broadcast_at ?? now,
        confirmed_at: now,
        updated_at: now,
      },
    );
    return { event, confirmed: confirmed! };
  });
  if (!outcome) return { wait: poll(platform) };
  if (outcome.event) announceStatusChanges(platform, [outcome.event]);
  platform.logger.info(
    {
      transferId: intent.id,
      transactionId: intent.transaction_id,
      network: round.network,
      hash: intent.tx_hash,
      block: decision.block.number.toString(),
    },
    'crypto delivered',
  );
  return { intent: outcome.confirmed };
}

/**
 * The transfer cannot succeed: it moves to refunding (a nonce that carries no transaction is given
 * back, so no later transfer waits behind it), the operator is alerted, and the refund follows.
 */
async function giveUp(platform: Platform, intent: TransferIntent, failure: TransferFailure, detail: string): Promise<Step> {
  const { network } = intent;
  const now = platform.clock.now();
  const failed = await platform.db.transaction().execute(async (trx) => {
    const locked = await lockTransferIntent(trx, intent.id);
    if (!locked || locked.status !== intent.status || locked.tx_hash !== intent.tx_hash) return undefined;
    // A reverted transfer used its nonce; a refused one (or one never signed) holds a nonce nothing carries.
    const release = failure === 'rejected' && locked.nonce !== null && locked.from_address !== null;
    if (release) await releaseNonce(trx, { network, address: locked.from_address!, nonce: BigInt(locked.nonce!), now });
    return updateTransferIntent(
      trx,
      intent.id,
      { status: intent.status, txHash: intent.tx_hash },
      {
        status: 'refunding',
        failure,
        failure_detail: detail.slice(0, 500),
        ...(release ? { nonce: null, from_address: null } : {}),
        updated_at: now,
      },
    );
  });
  if (!failed) return { wait: poll(platform) };
  await raiseAlert(platform.db, {
    kind: 'transfer_failed',
    subject: intent.id,
    network,
    asset: intent.asset,
    walletAddress: intent.from_address,
    transferId: intent.id,
    transactionId: intent.transaction_id,
    message: `Transfer ${intent.id} of transaction ${intent.merchant_transaction_id} cannot succeed (${failure}: ${detail}); its payment is refunded and the transaction fails with delivery_failed.`,
    now,
  });
  platform.logger.error(
    { transferId: intent.id, transactionId: intent.transaction_id, network, hash: intent.tx_hash, failure, detail },
    'a transfer cannot succeed; refunding its payment',
  );
  return { intent: failed };
}

/**
 * refunding → failed: the payment is refunded through the payments module (idempotent: the decision
 * is recorded on the payment first, the provider asked once), then the transaction fails with
 * `delivery_failed`. A refund the provider cannot take now throws, and the next round asks again.
 */
async function refundAndFail(platform: Platform, intent: TransferIntent): Promise<void> {
  let refunded = true;
  try {
    await refundPayment(platform, { transactionId: intent.transaction_id, reason: 'delivery_failed' });
  } catch (error) {
    if (!(error instanceof NoPaymentToRefundError)) throw error;
    refunded = false;
    await raiseAlert(platform.db, {
      kind: 'refund_failed',
      subject: intent.id,
      network: intent.network,
      asset: intent.asset,
      transferId: intent.id,
      transactionId: intent.transaction_id,
      message: `Transaction ${intent.merchant_transaction_id} failed delivery, but no captured payment of it was found to refund: settle it by hand.`,
      now: platform.clock.now(),
    });
    platform.logger.error({ transferId: intent.id, transactionId: intent.transaction_id }, 'a failed transfer has no payment to refund');
  }
  const now = platform.clock.now();
  const event = await platform.db.transaction().execute(async (trx) => {
    // The transaction's row first, then the transfer's: the order every status change with a transfer takes.
    await lockTransaction(trx, { id: intent.transaction_id });
    const locked = await lockTransferIntent(trx, intent.id);
    if (locked?.status !== 'refunding') return null;
    const changed = await changeStatusOrLog(platform, trx, intent, { to: 'failed', reason: 'delivery_failed' });
    await updateTransferIntent(
      trx,
      intent.id,
      { status: 'refunding' },
      { status: 'failed', refund_requested_at: refunded ? now : null, updated_at: now },
    );
    return changed;
  });
  if (event) announceStatusChanges(platform, [event]);
  // Earlier rounds may have alerted that the provider kept failing; the refund went through now.
  if (refunded) await resolveAlert(platform.db, { kind: 'refund_failed', subject: intent.id, now });
}

/** The transaction's status change, or null (logged) when an operator already moved it to a final status. */
async function changeStatusOrLog(
  platform: Platform,
  trx: Kysely<Tables>,
  intent: TransferIntent,
  change: { to: 'completed' | 'failed'; reason: string; txHash?: string },
): Promise<TransactionEvent | null> {
  try {
    return await changeStatusWithin(platform, trx, {
      partnerId: intent.partner_id,
      merchantTransactionId: intent.merchant_transaction_id,
      to: change.to,
      reason: change.reason,
      ...(change.txHash ? { txHash: change.txHash } : {}),
    });
  } catch (error) {
    if (!(error instanceof IllegalTransitionError)) throw error;
    platform.logger.error(
      { transferId: intent.id, transactionId: intent.transaction_id, to: change.to, problem: error.message },
      'the transfer ended but its transaction can no longer move; recorded on the transfer only',
    );
    return null;
  }
}
