// Exact decimal arithmetic on the decimal strings records hold ("2400", "0.41", "-1.5"), as
// Python's Decimal does it for comparing and adding them: a value is an integer of BigInt
// and a count of places, never a float, so 0.1 + 0.2 is 0.3 and 290 < 310.5 exactly.

const PLAIN = /^(-?)([0-9]+)(?:\.([0-9]+))?$/;

/** {units: BigInt, places} of a plain decimal string, or null when it is not one. */
export function parseDecimal(text) {
  const found = typeof text === "string" ? PLAIN.exec(text) : null;
  if (found === null) return null;
  const [, sign, whole, fraction = ""] = found;
  const units = BigInt(whole + fraction);
  return { units: sign === "-" ? -units : units, places: fraction.length };
}

function scaled(value, places) {
  return value.units * 10n ** BigInt(places - value.places);
}

/** -1, 0 or 1 as a < b, a = b, a > b; both parsed (parseDecimal). */
export function compare(a, b) {
  const places = Math.max(a.places, b.places);
  const [x, y] = [scaled(a, places), scaled(b, places)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The exact sum of parsed decimals (zero for none). */
export function sum(values) {
  let total = { units: 0n, places: 0 };
  for (const value of values) {
    const places = Math.max(total.places, value.places);
    total = { units: scaled(total, places) + scaled(value, places), places };
  }
  return total;
}

/** A plain decimal string of a parsed value, as Python's str(Decimal) writes one whose
 * exponent is not positive: every place kept ("1.50" stays "1.50"). */
export function format(value) {
  const negative = value.units < 0n;
  const digits = (negative ? -value.units : value.units).toString().padStart(value.places + 1, "0");
  const cut = digits.length - value.places;
  const text = value.places ? `${digits.slice(0, cut)}.${digits.slice(cut)}` : digits;
  return negative ? `-${text}` : text;
}
