/**
 * Placeholder for the `pool` layer of Tandem; its contents arrive with their issue.
 *
 * @module
 */

export {};
