import { existsSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PartnerDemo, startPartnerDemo } from '../../../examples/partner-demo/src/demo-server.ts';
import { DELIVERY_ENV } from './helpers/delivery-kit.ts';
import { useServerWithPartner } from './helpers/use-server-with-partner.ts';

/**
 * The demo partner's page in Chromium (as widget.browser.test.ts: Debian's Chromium through
 * playwright-core, skipped without it except in CI, embedded database only): accessible, no
 * violation of its own strict CSP, Start embeds the widget from the platform, webhooks show up in
 * its log, and "Open the hosted page" lands on the hosted widget page.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = process.env.PROOF_TEST_DB === 'postgres' || (!existsSync(CHROMIUM) && !process.env.CI);
const LAUNCH_ARGS = ['--disable-gpu', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.*'];
const WAIT = { timeout: 15_000 };

describe.skipIf(skip)('the demo partner in Chromium', { timeout: 45_000 }, () => {
  const server = useServerWithPartner({ background: true, env: DELIVERY_ENV });
  let demo: PartnerDemo;
  let browser: Browser;

  beforeAll(async () => {
    demo = await startPartnerDemo({
      platformUrl: server.url,
      clientToken: server.partner.client_token,
      webhookSecret: server.partner.webhook_secret,
      port: 0,
    });
    const wired = await server.admin(`/partners/${server.partner.partner_id}`, {
      method: 'PATCH',
      body: { origins: demo.origins, webhook_url: demo.webhookUrl },
    });
    expect(wired.status, JSON.stringify(wired.body)).toBe(200);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  async function openDemo() {
    const context = await browser.newContext();
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(`${demo.url}/`);
    return { context, page, consoleErrors };
  }

  it('the page is accessible and Start embeds the widget; the widget’s callbacks and the webhooks fill its log', async () => {
    const { context, page, consoleErrors } = await openDemo();
    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations.map((violation) => `${violation.id}: ${violation.help}`)).toEqual([]);

    await page.getByLabel('Sell crypto').check();
    await page.getByLabel('Buy crypto').check();
    await page.getByRole('button', { name: 'Start' }).click();
    const log = page.locator('#log');
    await expect.poll(() => log.textContent(), WAIT).toMatch(/session: buy 100 USDT on TRC20 \(demo-[0-9a-f-]+\)/);
    const id = /\((demo-[0-9a-f-]+)\)/.exec((await log.textContent())!)![1]!;
    const iframe = page.locator('#proof-widget iframe');
    await expect
      .poll(() => iframe.getAttribute('src'), WAIT)
      .toContain(`${server.url}/embed/v1/frame?widget_id=${server.partner.widget_id}`);
    await expect.poll(() => log.textContent(), WAIT).toContain('widget: onStatusChange new');

    server.clock.set(new Date());
    expect((await server.sandboxMove(id, 'processing')).status).toBe(200);
    await server.background!.webhooks.drain();
    await expect.poll(() => log.textContent(), WAIT).toContain(`webhook: processing (${id})`);

    // The page's own CSP refused nothing (the loader, the frame, the event stream all allowed).
    expect(consoleErrors.filter((text) => /Content Security Policy|Refused/.test(text))).toEqual([]);
    expect((await new AxeBuilder({ page }).exclude('#proof-widget').analyze()).violations).toEqual([]);
    await context.close();
  });

  it('"Open the hosted page" opens the full-page widget in a new tab, its session out of the address bar', async () => {
    const { context, page } = await openDemo();
    const [hosted] = await Promise.all([context.waitForEvent('page'), page.getByRole('button', { name: 'Open the hosted page' }).click()]);
    await hosted.waitForLoadState();
    const url = new URL(hosted.url());
    expect(`${url.origin}${url.pathname}${url.search}`).toBe(`${server.url}/embed/v1/hosted?widget_id=${server.partner.widget_id}`);
    // The widget read the session from the fragment and took it out of the address bar.
    await expect.poll(() => hosted.evaluate(() => location.hash), WAIT).toBe('');
    await context.close();
  });
});
