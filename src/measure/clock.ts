/** Host clock for every timing in the suite: monotonic nanoseconds as a float (exact below 2^53). */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}
