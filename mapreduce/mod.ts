/**
 * Placeholder for the `mapreduce` layer of Tandem; its contents arrive with their issue.
 *
 * @module
 */

export {};
