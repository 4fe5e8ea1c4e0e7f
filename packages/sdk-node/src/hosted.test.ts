import { describe, expect, it } from 'vitest';
import { hostedWidgetUrl } from './hosted.ts';
import type { SessionResponse } from './types.ts';

/** A session as POST /widget/session answers it (the quickstart's buy of 100 USDT on TRC20). */
const SESSION: SessionResponse = {
  merchant_transaction_id: '0b9c6d1e-5f7a-4c1e-9d2b-3a4f5e6d7c8b',
  widget_id: 'wgt_AbC123',
  address: 'TEAr4VJgdYed15h5wd6GbLYXUQ18x2Jp8f',
  signature: `v2:${'ab'.repeat(64)}`,
  init_token: 'it_abc-DEF_ghi+/=',
  init_token_type: 'sdk_partner_authorization',
  currency: 'USDT',
  currencies: ['USDT'],
  fix_currency: true,
  network: 'TRC20',
  networks: ['TRC20', 'ERC20'],
  fix_network: ['TRC20'],
  amount: '100',
  fix_amount: true,
  fiat_currency: 'EUR',
  fiat_currencies: ['EUR', 'USD'],
  fix_fiat_currency: false,
  fiat_amount: '94.80',
  fix_fiat_amount: false,
  type: 'buy',
  lang: 'en',
  theme: 'light',
  redirect_url: 'https://shop.example/done?order=7&x=a b',
  widget_url: 'https://ramp.example/widget.2.0.js',
};

describe('hostedWidgetUrl', () => {
  it('puts only widget_id in the query and the session in the fragment, in a fixed order', () => {
    const url = hostedWidgetUrl('https://ramp.example', SESSION);
    const [beforeHash, fragment] = url.split('#') as [string, string];
    expect(beforeHash).toBe('https://ramp.example/embed/v1/hosted?widget_id=wgt_AbC123');
    expect(fragment).toBe(
      [
        'widget_id=wgt_AbC123',
        'init_token=it_abc-DEF_ghi%2B%2F%3D',
        'init_token_type=sdk_partner_authorization',
        `signature=v2%3A${'ab'.repeat(64)}`,
        'merchant_transaction_id=0b9c6d1e-5f7a-4c1e-9d2b-3a4f5e6d7c8b',
        'address=TEAr4VJgdYed15h5wd6GbLYXUQ18x2Jp8f',
        'currency=USDT',
        'network=TRC20',
        'amount=100',
        'type=buy',
        'fiat_currency=EUR',
        'fiat_amount=94.80',
        'currencies=USDT',
        'networks=TRC20%2CERC20',
        'fiat_currencies=EUR%2CUSD',
        'lang=en',
        'theme=light',
        'redirect_url=https%3A%2F%2Fshop.example%2Fdone%3Forder%3D7%26x%3Da+b',
        'fix_currency=true',
        'fix_network=true',
        'fix_amount=true',
        'fix_fiat_currency=false',
        'fix_fiat_amount=false',
      ].join('&'),
    );
  });

  it('the page reads every value back as the session had it, as URLSearchParams does', () => {
    const url = new URL(hostedWidgetUrl('https://ramp.example', SESSION));
    expect(url.searchParams.get('widget_id')).toBe(SESSION.widget_id);
    // Nothing but the widget id ever reaches a server: the rest is in the fragment.
    expect([...url.searchParams.keys()]).toEqual(['widget_id']);
    const read = Object.fromEntries(new URLSearchParams(url.hash.slice(1)));
    expect(read).toEqual({
      widget_id: SESSION.widget_id,
      init_token: SESSION.init_token,
      init_token_type: SESSION.init_token_type,
      signature: SESSION.signature,
      merchant_transaction_id: SESSION.merchant_transaction_id,
      address: SESSION.address,
      currency: 'USDT',
      network: 'TRC20',
      amount: '100',
      type: 'buy',
      fiat_currency: 'EUR',
      fiat_amount: '94.80',
      currencies: 'USDT',
      networks: 'TRC20,ERC20',
      fiat_currencies: 'EUR,USD',
      lang: 'en',
      theme: 'light',
      redirect_url: SESSION.redirect_url,
      fix_currency: 'true',
      fix_network: 'true',
      fix_amount: 'true',
      fix_fiat_currency: 'false',
      fix_fiat_amount: 'false',
    });
    expect(read).not.toHaveProperty('widget_url');
  });

  it('leaves out null, empty and absent fields; takes lists as text and flags as text', () => {
    const url = hostedWidgetUrl('https://ramp.example/', {
      widget_id: 'wgt_x',
      init_token: 'tok',
      amount: '',
      redirect_url: null,
      fiat_currencies: 'EUR, USD',
      networks: [],
      fix_network: [],
      fix_amount: 'true',
    });
    expect(url).toBe(
      'https://ramp.example/embed/v1/hosted?widget_id=wgt_x#widget_id=wgt_x&init_token=tok&fiat_currencies=EUR%2CUSD&fix_network=false&fix_amount=true',
    );
  });

  it('keeps a path prefix of the platform, and refuses what is not an http(s) platform or a session', () => {
    expect(hostedWidgetUrl('http://localhost:8080/ramp//', { widget_id: 'wgt_x' })).toBe(
      'http://localhost:8080/ramp/embed/v1/hosted?widget_id=wgt_x#widget_id=wgt_x',
    );
    expect(() => hostedWidgetUrl('ramp.example', SESSION)).toThrow(TypeError);
    expect(() => hostedWidgetUrl('javascript:alert(1)', SESSION)).toThrow('http(s)');
    expect(() => hostedWidgetUrl('https://ramp.example', { widget_id: '' })).toThrow('widget_id');
    expect(() => hostedWidgetUrl('https://ramp.example', { widget_id: 'wgt_x', address: { x: 1 } as never })).toThrow('address');
  });
});
