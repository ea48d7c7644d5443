/**
 * Placeholder for the `sync` layer of Tandem; its contents arrive with their issue.
 *
 * @module
 */

export {};
