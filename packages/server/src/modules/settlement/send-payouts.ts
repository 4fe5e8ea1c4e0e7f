import { ProviderError } from '../../lib/provider-error.ts';
import type { Platform } from '../../platform.ts';
import { applyPayoutOutcome } from './apply-payout-update.ts';
import { findPayoutCard, leaseDuePayouts, type PayoutRow, updatePayout } from './off-ramp-store.ts';

const BATCH = 10;
/** Long enough for one provider call (its own timeout is shorter); a node that dies mid-call frees the payout after it. */
const LEASE_MS = 60_000;
/** Waits before the next try while the provider cannot be reached: 10 s, 30 s, 2 min, 10 min, then every 30 min. */
export const PAYOUT_RETRY_DELAYS_MS = [10_000, 30_000, 120_000, 600_000, 1_800_000] as const;

/**
 * Sends the queued payouts that are due to the payout provider, each leased to one node. The payout
 * id is the provider's idempotency key, so a payout sent again after a crash (or a lost answer) is
 * one payout. `pending` waits for the callback; a decline answered at once fails the sell
 * (`payout_failed`) like a declined callback; a provider that cannot be reached is tried again
 * after PAYOUT_RETRY_DELAYS_MS, with no limit (the user's crypto has arrived: the payout is owed),
 * and the last error is kept on the payout for the operator.
 */
export async function sendDuePayouts(platform: Platform): Promise<number> {
  const now = platform.clock.now();
  const due = await leaseDuePayouts(platform.db, { now, until: new Date(now.getTime() + LEASE_MS), limit: BATCH });
  for (const payout of due) await sendPayout(platform, payout);
  return due.length;
}

async function sendPayout(platform: Platform, payout: PayoutRow): Promise<void> {
  const provider = platform.providers.payouts;
  const card = await findPayoutCard(platform.db, payout.transaction_id);
  const now = () => platform.clock.now();
  if (!card) {
    await updatePayout(platform.db, payout.id, { status: 'awaiting_card', leased_until: null, updated_at: now() }, ['queued']);
    return;
  }
  try {
    const answer = await provider.payout({
      reference: payout.id,
      cardToken: platform.sealer.open(card.token_sealed),
      amountMinor: BigInt(payout.amount_minor),
      currency: payout.fiat_currency,
    });
    if (answer.status === 'declined') {
      await applyPayoutOutcome(platform, {
        payoutId: payout.id,
        outcome: 'declined',
        reason: answer.reason,
        providerPayoutId: answer.providerPayoutId,
      });
      return;
    }
    // A callback may have overtaken this answer: only a payout still queued becomes pending.
    await updatePayout(
      platform.db,
      payout.id,
      { status: 'pending', provider_payout_id: answer.providerPayoutId, tries: payout.tries + 1, leased_until: null, updated_at: now() },
      ['queued'],
    );
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    if (!error.retryable) {
      // The provider refuses the request itself: it will not go through by trying again.
      platform.logger.warn({ payoutId: payout.id, provider: error.provider, kind: error.kind }, 'payout refused by its provider');
      await applyPayoutOutcome(platform, {
        payoutId: payout.id,
        outcome: 'declined',
        reason: 'card_declined',
        providerPayoutId: `refused:${payout.id}`,
      });
      return;
    }
    const delay = PAYOUT_RETRY_DELAYS_MS[Math.min(payout.tries, PAYOUT_RETRY_DELAYS_MS.length - 1)]!;
    platform.logger.warn(
      { payoutId: payout.id, provider: error.provider, kind: error.kind, retryInMs: delay },
      'payout provider unreachable; retrying',
    );
    await updatePayout(
      platform.db,
      payout.id,
      {
        tries: payout.tries + 1,
        last_error: `${error.kind}: ${error.message}`.slice(0, 300),
        next_try_at: new Date(now().getTime() + delay),
        leased_until: null,
        updated_at: now(),
      },
      ['queued'],
    );
  }
}
