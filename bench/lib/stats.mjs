/** Small statistics over a round's numbers; `undefined` entries are ignored. */

function defined(values) {
  return values.filter((value) => typeof value === "number" && Number.isFinite(value));
}

/** The median (the mean of the middle two for an even count), or `undefined` for no values. */
export function median(values) {
  const sorted = defined(values).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function min(values) {
  const list = defined(values);
  return list.length === 0 ? undefined : Math.min(...list);
}

export function max(values) {
  const list = defined(values);
  return list.length === 0 ? undefined : Math.max(...list);
}
