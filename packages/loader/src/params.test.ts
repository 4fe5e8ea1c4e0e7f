import { describe, expect, it } from 'vitest';
import { LOAD_TIMEOUT_MS, normalizeParams } from './params.ts';

/** Anything with nodeType 1 is an element to the loader: no DOM needed here. */
const host = { nodeType: 1, id: 'proof-widget' };

/** A session response as POST /widget/session answers it (snake_case, verbatim). */
const response = {
  merchant_transaction_id: 'order-1',
  widget_id: 'wgt_abc',
  address: 'TEAr4VJgdYed15h5wd6GbLYXUQ18x2Jp8f',
  signature: `v2:${'a'.repeat(128)}`,
  init_token: 'eyJ.token.sig',
  init_token_type: 'sdk_partner_authorization',
  currency: 'USDT',
  currencies: ['USDT', 'BTC'],
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
  redirect_url: 'https://partner.example/done',
  widget_url: 'https://ramp.example/widget.2.0.js',
};

/** The quickstart's subset, in the current (camelCase) names. */
const quickstart = {
  widgetId: 'wgt_abc',
  host,
  address: 'TEAr4VJgdYed15h5wd6GbLYXUQ18x2Jp8f',
  signature: `v2:${'a'.repeat(128)}`,
  initToken: 'eyJ.token.sig',
  initTokenType: 'sdk_customer_token',
  merchantTransactionId: 'order-1',
  currency: 'USDT',
  network: 'TRC20',
  amount: '100',
  fixCurrency: true,
  fixNetwork: true,
  fixAmount: true,
  fiatCurrency: 'EUR',
  fiatAmount: '94.80',
  type: 'buy',
};

describe('proofWidget.run() arguments', () => {
  it('takes the session response verbatim (snake_case), dropping what the frame does not use', () => {
    const { params, problems, host: element } = normalizeParams({ host, ...response });
    expect(problems).toEqual([]);
    expect(element).toBe(host);
    expect(params).toEqual({
      widget_id: 'wgt_abc',
      init_token: 'eyJ.token.sig',
      init_token_type: 'sdk_partner_authorization',
      signature: `v2:${'a'.repeat(128)}`,
      merchant_transaction_id: 'order-1',
      address: 'TEAr4VJgdYed15h5wd6GbLYXUQ18x2Jp8f',
      currency: 'USDT',
      currencies: ['USDT', 'BTC'],
      network: 'TRC20',
      networks: ['TRC20', 'ERC20'],
      amount: '100',
      fiat_currency: 'EUR',
      fiat_currencies: ['EUR', 'USD'],
      fiat_amount: '94.80',
      type: 'buy',
      lang: 'en',
      theme: 'light',
      redirect_url: 'https://partner.example/done',
      fix_currency: true,
      fix_network: true,
      fix_amount: true,
      fix_fiat_currency: false,
      fix_fiat_amount: false,
    });
  });

  it('takes the quickstart subset in camelCase and passes on only what it gave', () => {
    const { params, problems } = normalizeParams(quickstart);
    expect(problems).toEqual([]);
    expect(params).toEqual({
      widget_id: 'wgt_abc',
      init_token: 'eyJ.token.sig',
      init_token_type: 'sdk_customer_token',
      signature: `v2:${'a'.repeat(128)}`,
      merchant_transaction_id: 'order-1',
      address: 'TEAr4VJgdYed15h5wd6GbLYXUQ18x2Jp8f',
      currency: 'USDT',
      network: 'TRC20',
      amount: '100',
      fiat_currency: 'EUR',
      fiat_amount: '94.80',
      type: 'buy',
      fix_currency: true,
      fix_network: true,
      fix_amount: true,
    });
  });

  it('the same session in both forms gives the same parameters', () => {
    const camelCase = {
      host,
      merchantTransactionId: response.merchant_transaction_id,
      widgetId: response.widget_id,
      address: response.address,
      signature: response.signature,
      initToken: response.init_token,
      initTokenType: response.init_token_type,
      currency: response.currency,
      currencies: response.currencies,
      fixCurrency: response.fix_currency,
      network: response.network,
      networks: response.networks,
      fixNetwork: response.fix_network,
      amount: response.amount,
      fixAmount: response.fix_amount,
      fiatCurrency: response.fiat_currency,
      fiatCurrencies: response.fiat_currencies,
      fixFiatCurrency: response.fix_fiat_currency,
      fiatAmount: response.fiat_amount,
      fixFiatAmount: response.fix_fiat_amount,
      type: response.type,
      lang: response.lang,
      theme: response.theme,
      redirectUrl: response.redirect_url,
    };
    expect(normalizeParams(camelCase)).toEqual(normalizeParams({ host, ...response }));
  });

  it('the camelCase name wins when a call has both, in either order', () => {
    expect(normalizeParams({ ...quickstart, init_token: 'old' }).params.init_token).toBe('eyJ.token.sig');
    expect(normalizeParams({ init_token: 'old', ...quickstart }).params.init_token).toBe('eyJ.token.sig');
  });

  it('older forms: crypto_amount for amount, lists as comma-separated text, flags as text or lists, numbers as text', () => {
    const { params, problems } = normalizeParams({
      ...quickstart,
      amount: undefined,
      cryptoAmount: 100,
      currencies: 'USDT, BTC',
      networks: ['TRC20', ''],
      fixAmount: 'true',
      fixNetwork: ['TRC20'],
      fixCurrency: 'false',
      fixFiatAmount: [],
      type: 'SELL',
    });
    expect(problems).toEqual([]);
    expect(params).toMatchObject({
      amount: '100',
      currencies: ['USDT', 'BTC'],
      networks: ['TRC20'],
      fix_amount: true,
      fix_network: true,
      fix_currency: false,
      fix_fiat_amount: false,
      type: 'sell',
    });
  });

  it('defaults: a buy, the server-side token type, an empty amount (the user picks it), the default load timeout', () => {
    const { params, loadTimeout, problems } = normalizeParams({ ...quickstart, type: undefined, initTokenType: '', amount: undefined });
    expect(problems).toEqual([]);
    expect(params).toMatchObject({ type: 'buy', init_token_type: 'sdk_partner_authorization', amount: '' });
    expect(loadTimeout).toBe(LOAD_TIMEOUT_MS);
    expect(normalizeParams({ ...quickstart, loadTimeout: 2000 }).loadTimeout).toBe(2000);
  });

  it('callbacks in either form; other keys are not callbacks', () => {
    const onStatusChange = () => {};
    const onError = () => {};
    const { callbacks, problems } = normalizeParams({ ...quickstart, onStatusChange, on_error: onError, onSomethingElse: () => {} });
    expect(problems).toEqual([]);
    expect(callbacks).toEqual({ onStatusChange, onError });
  });

  it('a host given by id is looked up (with or without #)', () => {
    const element = { nodeType: 1 };
    const find = (id: string) => (id === 'proof-widget' ? element : null);
    expect(normalizeParams({ ...quickstart, host: 'proof-widget' }, find).host).toBe(element);
    expect(normalizeParams({ ...quickstart, host: '#proof-widget' }, find).host).toBe(element);
    expect(normalizeParams({ ...quickstart, host: 'nowhere' }, find).problems).toEqual([
      { code: 'invalid_parameter', message: 'host is not an element (nor an element id)' },
    ]);
  });

  it('everything missing is named in one problem, first, in the current names', () => {
    const { problems, host: element } = normalizeParams({ widgetId: 'wgt_abc', currency: 'USDT', network: 'TRC20' });
    expect(element).toBeNull();
    expect(problems).toEqual([
      { code: 'missing_parameter', message: 'missing host, initToken, signature, merchantTransactionId, address' },
    ]);
    expect(normalizeParams({ ...quickstart, initToken: '' }).problems).toEqual([
      { code: 'missing_parameter', message: 'missing initToken' },
    ]);
    expect(normalizeParams(undefined).problems[0]?.code).toBe('missing_parameter');
    expect(normalizeParams('wgt_abc').problems[0]?.code).toBe('missing_parameter');
  });

  it('wrong kinds of value are refused by name', () => {
    const { problems, host: element } = normalizeParams({
      ...quickstart,
      host: { innerHTML: '' },
      initToken: { token: 'x' },
      type: 'swap',
      redirectUrl: 'javascript:alert(1)',
      onReady: 'ready()',
      loadTimeout: -1,
    });
    expect(element).toBeNull();
    expect(problems).toEqual([
      { code: 'missing_parameter', message: 'missing initToken' },
      { code: 'invalid_parameter', message: 'initToken must be text' },
      { code: 'invalid_parameter', message: 'host is not an element (nor an element id)' },
      { code: 'invalid_parameter', message: 'type must be buy or sell' },
      { code: 'invalid_parameter', message: 'redirectUrl must be an http(s) URL' },
      { code: 'invalid_parameter', message: 'onReady must be a function' },
      { code: 'invalid_parameter', message: 'loadTimeout must be a number of milliseconds' },
    ]);
  });
});
