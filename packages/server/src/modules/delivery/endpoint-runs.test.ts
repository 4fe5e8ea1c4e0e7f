import { describe, expect, it } from 'vitest';
import { disableReason, type EndpointAttempt, foldEndpointAttempts } from './endpoint-runs.ts';

const at = (minute: number) => new Date(Date.UTC(2026, 10, 30, 12, minute));
const attempt = (partnerId: string, minute: number, ok: boolean, statusCode: number | null = ok ? 200 : 503): EndpointAttempt => ({
  partnerId,
  ok,
  gone: statusCode === 410,
  at: at(minute),
  deliveryId: `msg_${partnerId}_${minute}`,
  statusCode,
});
const DAY = 86_400_000;

describe('foldEndpointAttempts', () => {
  it('folds each endpoint’s attempts in the order they were made, one run per endpoint in partner id order', () => {
    const runs = foldEndpointAttempts([
      attempt('ptr_b', 3, false),
      attempt('ptr_a', 2, true),
      attempt('ptr_b', 1, true),
      attempt('ptr_b', 5, false),
    ]);
    expect(runs.map((run) => run.partnerId)).toEqual(['ptr_a', 'ptr_b']);
    expect(runs[0]).toMatchObject({ lastOk: true, sawSuccess: true, failingFrom: null, gone: false, lastAt: at(2), lastFailure: null });
    // ptr_b: a success at minute 1, then failures from minute 3: the run starts at 3, whatever was on record.
    expect(runs[1]).toMatchObject({
      lastOk: false,
      sawSuccess: true,
      failingFrom: at(3),
      lastAt: at(5),
      lastFailure: { deliveryId: 'msg_ptr_b_5', statusCode: 503 },
    });
  });

  it('ends a run with a later success and keeps the start of failures without one', () => {
    expect(foldEndpointAttempts([attempt('p', 1, false), attempt('p', 2, true)])[0]).toMatchObject({ lastOk: true, failingFrom: null });
    expect(foldEndpointAttempts([attempt('p', 4, false), attempt('p', 2, false)])[0]).toMatchObject({
      lastOk: false,
      sawSuccess: false,
      failingFrom: at(2),
      lastFailure: { deliveryId: 'msg_p_4' },
    });
  });

  it('remembers a 410 even when a later attempt succeeded', () => {
    const [run] = foldEndpointAttempts([attempt('p', 1, false, 410), attempt('p', 2, true)]);
    expect(run).toMatchObject({ gone: true, lastOk: true });
  });
});

describe('disableReason', () => {
  const [failing] = foldEndpointAttempts([attempt('p', 0, false)]);
  it('disables at once on a 410', () => {
    const [gone] = foldEndpointAttempts([attempt('p', 0, false, 410)]);
    expect(disableReason(gone!, null, 5 * DAY)).toBe('gone');
  });
  it('disables once every attempt has failed for the period, not before', () => {
    expect(disableReason(failing!, new Date(at(0).getTime() - 5 * DAY), 5 * DAY)).toBe('failing');
    expect(disableReason(failing!, new Date(at(0).getTime() - 5 * DAY + 1), 5 * DAY)).toBeNull();
    expect(disableReason(failing!, null, 5 * DAY)).toBeNull();
  });
});
