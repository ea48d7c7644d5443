/**
 * Private: Int32 word layout of `Semaphore` / `BoundedSemaphore` memory.
 *
 * @module
 */

/** Free permits. */
export const VALUE = 1;
/** Number of threads asleep on VALUE. */
export const WAITERS = 2;
/** The initial value (the bound of a `BoundedSemaphore`). */
export const BOUND = 3;
/** Byte size. */
export const BYTES = 16;
