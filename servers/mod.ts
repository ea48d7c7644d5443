/**
 * Placeholder for the `servers` app of Tandem; its contents arrive with their issue.
 *
 * @module
 */

export {};
