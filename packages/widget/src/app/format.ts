/** Amounts stay decimal strings from the API (never floats); only the wait times are numbers. */

/** "m:ss" (or "h:mm:ss") until `deadline`, "0:00" once past (or when it cannot be read). */
export function countdown(deadline: string | Date, now: number = Date.now()): string {
  const millis = new Date(deadline).getTime() - now;
  // An unreadable deadline counts as past (Math.max would keep NaN and show "NaN:NaN").
  const left = Number.isFinite(millis) ? Math.max(0, Math.floor(millis / 1000)) : 0;
  const hours = Math.floor(left / 3600);
  const minutes = Math.floor((left % 3600) / 60);
  const seconds = String(left % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** What the user may type as an amount: digits, one decimal separator (a comma is read as a point). */
export function normalizeAmount(typed: string): string | null {
  const value = typed.trim().replace(',', '.');
  return /^\d{1,12}(\.\d{1,18})?$/.test(value) && /[1-9]/.test(value) ? value : null;
}
