/**
 * Text widths for layout where no canvas can measure them (Node): Vega's own guess, 0.8 em a character, makes
 * titles and legends far wider than DejaVu Sans draws them, and the figure then gets wide empty margins. These are
 * DejaVu Sans' advance widths in em, rounded to classes of characters.
 */
const NARROW = new Set(" !'(),-./:;I[]`fijlrt|{}");
const WIDE = new Set('mwMW@%');
const DIGIT_OR_SIGN = new Set('0123456789+<=>#$?^_~*"&');

/**
 * The width in pixels of `text` set in DejaVu Sans at `fontSize` px, to within a few percent for Latin text.
 *
 * @example
 * ```ts
 * dejaVuSansWidth('0123456789', 10); // ≈ 63.6
 * ```
 */
export function dejaVuSansWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const ch of text) {
    if (NARROW.has(ch)) em += 0.34;
    else if (WIDE.has(ch)) em += 0.95;
    else if (DIGIT_OR_SIGN.has(ch)) em += 0.636;
    else if (ch >= 'A' && ch <= 'Z') em += 0.72;
    else em += 0.6;
  }
  return em * fontSize;
}
