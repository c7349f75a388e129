export type CircuitBreakerOptions = {
  /** Consecutive unhealthy outcomes that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one trial call is let through. */
  cooldownMs: number;
  /** A monotonic clock in ms; injectable so tests can step past the cooldown without waiting. */
  now: () => number;
};

/** The verdict on one admitted call; exactly one of the three should be called. */
export type CircuitTicket = {
  /** The upstream answered like a working service (any 2xx, or a 4xx about this request). */
  healthy(): void;
  /** The upstream is down, overloaded or broken: network error, timeout, 429, 5xx, unusable body. */
  unhealthy(reason: string): void;
  /** The call was cancelled by us (shutdown, a sibling batch failed): no evidence either way. */
  abandoned(): void;
};

/** Why a call was refused: the failures that opened the circuit, and when the next trial may go. */
export type CircuitRefusal = { admitted: false; failures: number; lastFailure: string; retryInMs: number };

export type CircuitAdmission = { admitted: true; ticket: CircuitTicket } | CircuitRefusal;

/**
 * A consecutive-failure circuit breaker. While the upstream is failing, callers get an answer at
 * once instead of each waiting out its own timeouts and retries, and the upstream gets room to
 * recover instead of a retry storm. After the cooldown it is half-open: one trial call goes
 * through, and its outcome closes the circuit or opens it for another cooldown.
 */
export function createCircuitBreaker(options: CircuitBreakerOptions) {
  let state: 'closed' | 'open' | 'half-open' = 'closed';
  let failures = 0;
  let lastFailure = '';
  let openedAt = 0;
  let trialInFlight = false;

  const open = () => {
    state = 'open';
    openedAt = options.now();
  };

  function ticket(trial: boolean): CircuitTicket {
    let settled = false;
    const settle = (verdict: () => void) => {
      if (settled) return;
      settled = true;
      if (trial) trialInFlight = false;
      verdict();
    };
    return {
      healthy: () =>
        settle(() => {
          // A call admitted before the circuit opened proves little about the upstream now; only
          // the trial (or a call while closed) may close it.
          if (trial || state === 'closed') {
            state = 'closed';
            failures = 0;
          }
        }),
      unhealthy: (reason) =>
        settle(() => {
          failures += 1;
          lastFailure = reason;
          if (trial || (state === 'closed' && failures >= options.failureThreshold)) open();
        }),
      abandoned: () => settle(() => {}),
    };
  }

  /** The refusal a call would get now, without taking the half-open trial. */
  function blocked(): CircuitRefusal | undefined {
    if (state === 'open' && options.now() - openedAt >= options.cooldownMs) state = 'half-open';
    if (state === 'closed' || (state === 'half-open' && !trialInFlight)) return undefined;
    const retryInMs = state === 'open' ? options.cooldownMs - (options.now() - openedAt) : 0;
    return { admitted: false, failures, lastFailure, retryInMs };
  }

  return {
    blocked,
    /** Lets a call through (taking the trial when half-open) or refuses it without a request. */
    admit(): CircuitAdmission {
      const refusal = blocked();
      if (refusal) return refusal;
      const trial = state === 'half-open';
      if (trial) trialInFlight = true;
      return { admitted: true, ticket: ticket(trial) };
    },
    get state() {
      return state;
    },
  };
}
