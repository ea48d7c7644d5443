/**
 * The load tester's web GUI: a small page served by `Deno.serve` that starts `runStress`
 * runs through an HTTP API and follows them over Server-Sent Events.
 *
 * ```ts ignore
 * import { serveGui } from "@tandem/tandem/gui-web";
 *
 * await using gui = serveGui({ port: 8000 });
 * console.log(`Open ${gui.url}`);
 * await gui.finished;
 * ```
 *
 * @module
 */

export * from "./gui_server.ts";
