/**
 * Runs `clients` closed loops at once: each sends its next request as soon as its previous one
 * was answered, until `done()` says stop. Resolves when every loop has finished its last request.
 */
export async function runClientLoops(
  clients: number,
  done: () => boolean,
  step: (client: number, iteration: number) => Promise<void>,
): Promise<void> {
  const loop = async (client: number) => {
    for (let iteration = 0; !done(); iteration++) await step(client, iteration);
  };
  await Promise.all(Array.from({ length: clients }, (_, client) => loop(client)));
}

/** A stop condition that turns true `seconds` from now. */
export function after(seconds: number): () => boolean {
  const deadline = performance.now() + seconds * 1000;
  return () => performance.now() >= deadline;
}

/** Picks one of the named choices by weight, with the caller's uniform [0, 1) source. */
export function weightedPicker<K extends string>(weights: Record<K, number>): (uniform: number) => K {
  const entries = Object.entries(weights) as [K, number][];
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  return (uniform) => {
    let remaining = uniform * total;
    for (const [name, weight] of entries) {
      remaining -= weight;
      if (remaining < 0) return name;
    }
    return entries[entries.length - 1]![0];
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A positive integer from the environment, or the default; anything else is an error naming the variable. */
export function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer (got ${raw})`);
  return value;
}
