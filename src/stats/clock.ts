/** Host clock for every timing in the suite: monotonic nanoseconds as a float (exact below 2^53). */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/** Whether `promise` settles without error within `boundMs`. */
export async function within(promise: Promise<unknown>, boundMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), boundMs);
  });
  const done = promise.then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}
