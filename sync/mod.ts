/**
 * SharedArrayBuffer + Atomics primitives and shared values that work between the
 * main thread and any number of Workers.
 *
 * @module
 */

export * from "./revive.ts";
