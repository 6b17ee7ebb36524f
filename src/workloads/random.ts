/** Seeded pseudo-random numbers (mulberry32), so a run's inputs can be regenerated from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function randomWords(length: number, random: () => number): Uint32Array {
  const words = new Uint32Array(length);
  for (let i = 0; i < length; i++) words[i] = random();
  return words;
}
