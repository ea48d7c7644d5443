/**
 * The number of stress generator Workers alive in this thread, so tests can check that
 * every run terminated its Workers.
 *
 * @module
 */

/** Live generator Workers (incremented on creation, decremented on `terminate()`). */
export const liveWorkers = { count: 0 };
