/**
 * A secret's strength in bits, estimated as its length times the Shannon entropy of its characters. Generous for a
 * random secret (`openssl rand -hex 32` scores about 250) and harsh on the ones people type: a repeated character
 * scores 0, `abab…` 1 bit a character, a word or a phrase little more than its few distinct letters allow.
 */
export function estimatedEntropyBits(secret: string): number {
  const chars = [...secret];
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) {
    const p = n / chars.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * chars.length;
}
