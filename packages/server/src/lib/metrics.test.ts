import { describe, expect, it } from 'vitest';
import { instrumentAdapter } from './instrument-adapter.ts';
import { createMetrics, webhookAttemptOutcome } from './metrics.ts';
import { ProviderError } from './provider-error.ts';

describe('webhookAttemptOutcome', () => {
  it('names every way an attempt ends from what the worker records', () => {
    expect(webhookAttemptOutcome(204, null)).toBe('success');
    expect(webhookAttemptOutcome(500, null)).toBe('http_error');
    expect(webhookAttemptOutcome(410, null)).toBe('http_error');
    expect(webhookAttemptOutcome(302, null)).toBe('http_error');
    expect(webhookAttemptOutcome(null, 'timeout')).toBe('timeout');
    expect(webhookAttemptOutcome(null, 'blocked: 10.0.0.1 is private')).toBe('blocked');
    expect(webhookAttemptOutcome(null, 'internal: no key')).toBe('internal_error');
    expect(webhookAttemptOutcome(null, 'partner no longer exists')).toBe('internal_error');
    expect(webhookAttemptOutcome(null, 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9')).toBe('network_error');
  });
});

describe('createMetrics', () => {
  it('keeps each platform in a registry of its own, and asks the queue once per scrape', async () => {
    let queries = 0;
    const source = {
      webhookQueue: async () => {
        queries++;
        return { depth: 3, oldestAgeSeconds: 12.5, disabledEndpoints: 1 };
      },
      statusChangesWaiting: () => 4,
    };
    const one = createMetrics(source);
    const two = createMetrics(source);
    one.countWebhookAttempt(200, null);
    const text = await one.render();
    expect(queries).toBe(1);
    expect(text).toContain('proof_webhook_attempts_total{outcome="success"} 1');
    expect(text).toContain('proof_webhook_queue_depth 3');
    expect(text).toContain('proof_webhook_queue_oldest_age_seconds 12.5');
    expect(text).toContain('proof_webhook_endpoints_disabled 1');
    expect(text).toContain('proof_status_changes_waiting 4');
    expect(text).toContain('# TYPE proof_process_cpu_user_seconds_total counter');
    expect(text).not.toContain('proof_db_pool');
    expect(await two.render()).not.toContain('proof_webhook_attempts_total{outcome="success"}');
    expect(one.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('keeps the last queue figures when the query fails', async () => {
    let fail = false;
    const metrics = createMetrics({
      webhookQueue: async () => {
        if (fail) throw new Error('database down');
        return { depth: 7, oldestAgeSeconds: 1, disabledEndpoints: 0 };
      },
      pool: () => ({ total: 4, idle: 1, waiting: 2 }),
      statusChangesWaiting: () => 0,
    });
    await metrics.render();
    fail = true;
    const text = await metrics.render();
    expect(text).toContain('proof_webhook_queue_depth 7');
    expect(text).toContain('proof_db_pool_connections 4');
    expect(text).toContain('proof_db_pool_idle_connections 1');
    expect(text).toContain('proof_db_pool_waiting_clients 2');
  });
});

describe('instrumentAdapter', () => {
  class Adapter {
    readonly name = 'fake';
    #calls = 0;
    async fetch(value: number): Promise<number> {
      this.#calls++;
      return this.twice(value);
    }
    async twice(value: number): Promise<number> {
      return value * 2;
    }
    async refuse(): Promise<never> {
      throw new ProviderError({ provider: 'fake', kind: 'unavailable', message: 'down' });
    }
    async crash(): Promise<never> {
      throw new TypeError('bug');
    }
    sign(text: string): string {
      return `${text}.${this.#calls}`;
    }
  }

  it('times every asynchronous call once, by method and outcome, and leaves the rest alone', async () => {
    const seen: string[] = [];
    const adapter = instrumentAdapter(new Adapter(), { observe: (operation, outcome) => seen.push(`${operation}:${outcome}`) });
    expect(await adapter.fetch(2)).toBe(4);
    await expect(adapter.refuse()).rejects.toThrow(ProviderError);
    await expect(adapter.crash()).rejects.toThrow(TypeError);
    expect(adapter.sign('x')).toBe('x.1');
    expect(adapter.name).toBe('fake');
    expect(adapter).toBeInstanceOf(Adapter);
    expect(adapter.fetch).toBe(adapter.fetch);
    expect(seen).toEqual(['fetch:ok', 'refuse:unavailable', 'crash:error']);
  });
});
