import { encode } from 'uqr';
import { describe, expect, it } from 'vitest';
import { cardBrand, compareDecimal, deadlineMark, depositFit, qrPath, qrText } from './deposit-logic.ts';

describe('qrText', () => {
  it('is a BIP 21 URI with the amount for Bitcoin', () => {
    const deposit = { address: 'bc1qexample', currency: 'BTC', network: 'BITCOIN', amount: '0.00123' };
    expect(qrText(deposit)).toBe('bitcoin:bc1qexample?amount=0.00123');
    expect(qrText({ ...deposit, amount: null })).toBe('bitcoin:bc1qexample');
  });

  it('is the bare address for everything else', () => {
    expect(qrText({ address: '0xabc', currency: 'USDT', network: 'ERC20', amount: '100' })).toBe('0xabc');
    expect(qrText({ address: 'Sol1', currency: 'SOL', network: 'SOL', amount: '2' })).toBe('Sol1');
  });
});

describe('qrPath', () => {
  it('draws one rectangle per horizontal run of dark modules', () => {
    expect(
      qrPath([
        [true, true, false, true],
        [false, false, false, false],
        [false, true, true, true],
      ]),
    ).toBe('M0 0h2v1h-2zM3 0h1v1h-1zM1 2h3v1h-3z');
    expect(qrPath([[false]])).toBe('');
  });

  it('covers exactly the dark modules of a real code, quiet zone left white', () => {
    const qr = encode('0x52908400098527886E0F7030069857D2E4169EE7', { ecc: 'M', border: 4 });
    const dark = new Set<string>();
    for (const [, x, y, run] of qrPath(qr.data).matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
      for (let i = 0; i < Number(run); i++) dark.add(`${Number(x) + i},${y}`);
    }
    qr.data.forEach((row, y) => {
      row.forEach((on, x) => {
        expect(dark.has(`${x},${y}`), `${x},${y}`).toBe(on);
      });
    });
    for (let i = 0; i < qr.size; i++) {
      for (const edge of [0, 3, qr.size - 4, qr.size - 1]) {
        expect(dark.has(`${i},${edge}`) || dark.has(`${edge},${i}`)).toBe(false);
      }
    }
  });
});

describe('compareDecimal', () => {
  it('compares exactly, whatever the zeros', () => {
    expect(compareDecimal('1.5', '1.50')).toBe(0);
    expect(compareDecimal('01.5', '1.5')).toBe(0);
    expect(compareDecimal('0', '0.000')).toBe(0);
    expect(compareDecimal('99.999999', '100')).toBe(-1);
    expect(compareDecimal('100.000001', '100')).toBe(1);
    expect(compareDecimal('0.1', '0.09')).toBe(1);
    expect(compareDecimal('9', '10')).toBe(-1);
    expect(compareDecimal('1', '1')).toBe(0);
    // Beyond a float's precision.
    expect(compareDecimal('0.100000000000000001', '0.1')).toBe(1);
    expect(compareDecimal('12345678901234567890', '12345678901234567891')).toBe(-1);
  });
});

describe('depositFit', () => {
  it('tells short, over and exact deposits apart, nothing before one arrived', () => {
    expect(depositFit('99.5', '100')).toBe('short');
    expect(depositFit('100.5', '100')).toBe('over');
    expect(depositFit('100.000', '100')).toBe('exact');
    expect(depositFit(null, '100')).toBeNull();
    expect(depositFit('100', null)).toBeNull();
  });
});

describe('deadlineMark', () => {
  const now = Date.parse('2030-01-01T12:00:00Z');
  const inMinutes = (minutes: number) => new Date(now + minutes * 60_000).toISOString();

  it('speaks at ten minutes left, one minute left and the close, never in between', () => {
    expect(deadlineMark(inMinutes(360), now)).toBeNull();
    expect(deadlineMark(inMinutes(10.01), now)).toBeNull();
    expect(deadlineMark(inMinutes(10), now)).toBe('tenMinutes');
    expect(deadlineMark(inMinutes(1.5), now)).toBe('tenMinutes');
    expect(deadlineMark(inMinutes(1), now)).toBe('oneMinute');
    expect(deadlineMark(inMinutes(0.01), now)).toBe('oneMinute');
    expect(deadlineMark(inMinutes(0), now)).toBe('closed');
    expect(deadlineMark(inMinutes(-5), now)).toBe('closed');
  });

  it('says nothing for a deadline it cannot read', () => {
    expect(deadlineMark('soon', now)).toBeNull();
  });
});

describe('cardBrand', () => {
  it('names the brands people know, nothing for an unknown one', () => {
    expect(cardBrand('visa')).toBe('Visa');
    expect(cardBrand('amex')).toBe('American Express');
    expect(cardBrand('unknown')).toBe('');
    expect(cardBrand('other')).toBe('');
  });
});
