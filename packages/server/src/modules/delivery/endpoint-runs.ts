/**
 * Endpoint health from a batch of attempts, without I/O. An attempt's outcome for its endpoint: a
 * success ends a run of failures, a failure starts one or continues it, and a 410 disables the
 * endpoint. The worker records many attempts at once, so their outcomes are folded per endpoint, in
 * the order they finished, into what one update must do.
 */
export interface EndpointAttempt {
  partnerId: string;
  ok: boolean;
  gone: boolean;
  /** When the attempt was made. */
  at: Date;
  deliveryId: string;
  statusCode: number | null;
}

export interface EndpointRun {
  partnerId: string;
  /** The last attempt succeeded: the endpoint is not failing (whatever was on record). */
  lastOk: boolean;
  /** An attempt of the batch succeeded: a run of failures on record ended then. */
  sawSuccess: boolean;
  /** The first failure after the batch's last success (or in the batch, without one): where a run starts. */
  failingFrom: Date | null;
  /** An attempt answered 410 Gone. */
  gone: boolean;
  /** When the batch's last attempt to the endpoint was made. */
  lastAt: Date;
  /** The batch's last failed attempt, which a disabling is logged with. */
  lastFailure: { deliveryId: string; statusCode: number | null } | null;
}

/** One run per endpoint, in partner id order (the order every writer locks endpoint rows in). */
export function foldEndpointAttempts(attempts: readonly EndpointAttempt[]): EndpointRun[] {
  const runs = new Map<string, EndpointRun>();
  const ordered = [...attempts].sort((a, b) => a.at.getTime() - b.at.getTime());
  for (const attempt of ordered) {
    const run = runs.get(attempt.partnerId) ?? {
      partnerId: attempt.partnerId,
      lastOk: false,
      sawSuccess: false,
      failingFrom: null,
      gone: false,
      lastAt: attempt.at,
      lastFailure: null,
    };
    run.lastAt = attempt.at;
    run.gone ||= attempt.gone;
    if (attempt.ok) {
      run.lastOk = true;
      run.sawSuccess = true;
      run.failingFrom = null;
    } else {
      run.lastOk = false;
      run.failingFrom ??= attempt.at;
      run.lastFailure = { deliveryId: attempt.deliveryId, statusCode: attempt.statusCode };
    }
    runs.set(attempt.partnerId, run);
  }
  return [...runs.values()].sort((a, b) => (a.partnerId < b.partnerId ? -1 : a.partnerId > b.partnerId ? 1 : 0));
}

/**
 * Whether the run disables its endpoint, given when its failures began as now on record (null: it
 * is not failing): at once on a 410, or once every attempt has failed for `disableAfterMs`.
 */
export function disableReason(run: EndpointRun, failingSince: Date | null, disableAfterMs: number): 'gone' | 'failing' | null {
  if (run.gone) return 'gone';
  if (failingSince !== null && run.lastAt.getTime() - failingSince.getTime() >= disableAfterMs) return 'failing';
  return null;
}
