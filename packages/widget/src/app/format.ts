/** Amounts stay decimal strings from the API (never floats); only the wait times are numbers. */

/** "m:ss" (or "h:mm:ss") until `deadline`, "0:00" once past. */
export function countdown(deadline: string | Date, now: number = Date.now()): string {
  const left = Math.max(0, Math.floor((new Date(deadline).getTime() - now) / 1000));
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
