/**
 * Placeholder for the `gui_web` app of Tandem; its contents arrive with their issue.
 *
 * @module
 */

export {};
