/**
 * The cancellation signal every SDK request type carries. A leaf module: the
 * chat, model and context types all use it, so it depends on none of them.
 *
 * @module
 */

/**
 * The subset of the WHATWG `AbortSignal` that the SDK relies on. A real
 * `AbortSignal` satisfies it; the SDK avoids referencing the DOM/Node global so
 * its types compile in any environment.
 */
export interface AbortSignalLike {
  /** `true` once the operation has been cancelled. */
  readonly aborted: boolean;
  /** The abort reason, when one was given. */
  readonly reason?: unknown;
  /** Registers a listener called once when the signal aborts. */
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  /** Removes a listener registered with {@link AbortSignalLike.addEventListener}. */
  removeEventListener(type: "abort", listener: () => void): void;
}
