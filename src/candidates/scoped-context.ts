/**
 * A candidate's view of the run: the run's context with a signal of its own, which aborts when
 * the run does and when the candidate is stopped (it lost a `judge: first` race). Everything
 * that waits on `ctx.signal` in an attempt (the agent, its verification) then stops for
 * either, and the attempt ends `aborted`; the round tells a stopped loser from a run abort by
 * the run's own signal.
 */
import type { EngineContext } from '../engine/context.js';

/**
 * `ctx` with `signal` aborted by either `ctx.signal` or `stop`.
 *
 * A proxy rather than a copy: the engine's context is a class whose methods use private
 * fields, which a spread or `Object.create` copy would break; so its methods are bound to it.
 */
export function withStopSignal(ctx: EngineContext, stop: AbortSignal): EngineContext {
  const signal = AbortSignal.any([ctx.signal, stop]);
  return new Proxy(ctx, {
    get(target, property) {
      if (property === 'signal') return signal;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
