/**
 * Placeholder for the `servers` app of Tandem; its contents arrive with their issue.
 *
 * @module
 */

export * from "./stress.ts";
export * from "./echo_server.ts";
