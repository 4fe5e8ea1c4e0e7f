/**
 * The deposit step's pure parts (no DOM, no I/O): what the QR code holds and how it is drawn, how
 * the received amount compares with the one asked, and when the countdown speaks.
 */

/**
 * The text of the QR code: a BIP 21 URI with the amount for Bitcoin (every Bitcoin wallet reads it),
 * the bare address elsewhere (wallets read token URIs inconsistently; the amount is shown beside it).
 */
export function qrText(deposit: { address: string; currency: string; network: string; amount: string | null }): string {
  if (deposit.currency === 'BTC' && deposit.network === 'BITCOIN') {
    return deposit.amount ? `bitcoin:${deposit.address}?amount=${deposit.amount}` : `bitcoin:${deposit.address}`;
  }
  return deposit.address;
}

/**
 * An SVG path drawing the dark modules of a QR matrix (rows of booleans, true for dark), one unit
 * per module: each horizontal run of dark modules is one rectangle.
 */
export function qrPath(matrix: readonly (readonly boolean[])[]): string {
  const parts: string[] = [];
  matrix.forEach((row, y) => {
    let x = 0;
    while (x < row.length) {
      if (!row[x]) {
        x++;
        continue;
      }
      const start = x;
      while (x < row.length && row[x]) x++;
      parts.push(`M${start} ${y}h${x - start}v1h-${x - start}z`);
    }
  });
  return parts.join('');
}

/** Compares two non-negative decimal strings ("1.50", "01.5") exactly: -1, 0 or 1. */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const split = (value: string) => {
    const [whole = '', fraction = ''] = value.trim().split('.');
    return [whole.replace(/^0+/, ''), fraction.replace(/0+$/, '')] as const;
  };
  const [aWhole, aFraction] = split(a);
  const [bWhole, bFraction] = split(b);
  if (aWhole.length !== bWhole.length) return aWhole.length < bWhole.length ? -1 : 1;
  if (aWhole !== bWhole) return aWhole < bWhole ? -1 : 1;
  const width = Math.max(aFraction.length, bFraction.length);
  const aPadded = aFraction.padEnd(width, '0');
  const bPadded = bFraction.padEnd(width, '0');
  return aPadded === bPadded ? 0 : aPadded < bPadded ? -1 : 1;
}

/** How what arrived compares with what was asked: short (priced again), over (the rest is held), or exact. */
export function depositFit(received: string | null, asked: string | null): 'short' | 'over' | 'exact' | null {
  if (!received || !asked) return null;
  const order = compareDecimal(received, asked);
  return order < 0 ? 'short' : order > 0 ? 'over' : 'exact';
}

/**
 * The moments the countdown is announced (never each second): ten minutes left, one minute left,
 * and the window closed. Null while more than ten minutes are left.
 */
export type DeadlineMark = 'tenMinutes' | 'oneMinute' | 'closed';

export function deadlineMark(deadline: string | Date, now: number = Date.now()): DeadlineMark | null {
  const left = new Date(deadline).getTime() - now;
  if (left <= 0) return 'closed';
  if (left <= 60_000) return 'oneMinute';
  if (left <= 600_000) return 'tenMinutes';
  return null;
}

const BRANDS: Record<string, string> = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  amex: 'American Express',
  discover: 'Discover',
  jcb: 'JCB',
  diners: 'Diners Club',
  unionpay: 'UnionPay',
};

/** A card brand as people write it; empty for `unknown` or a brand the widget does not know. */
export function cardBrand(brand: string): string {
  return BRANDS[brand.toLowerCase()] ?? '';
}
