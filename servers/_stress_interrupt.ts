/**
 * Ctrl+C handling of `deno task stress`: the first SIGINT stops the run (the CLI then
 * prints the partial report), a second one quits at once. `deno task` forwards the
 * terminal's SIGINT to a child that got it from the terminal already, so one Ctrl+C
 * can arrive twice within milliseconds: a SIGINT that soon after the first is ignored.
 *
 * @module
 */

/** A SIGINT at least this long after the first quits at once; an earlier one is a duplicate. */
export const SECOND_INTERRUPT_MS = 1_000;

/**
 * Makes the SIGINT listener of the CLI.
 *
 * @param controller Aborted by the first SIGINT.
 * @param exit Called by a second SIGINT at least {@linkcode SECOND_INTERRUPT_MS} later.
 * @param now The clock, in ms.
 * @returns The listener.
 */
export function interruptHandler(
  controller: AbortController,
  exit: () => void,
  now: () => number = () => performance.now(),
): () => void {
  let interruptedAt = 0;
  return () => {
    if (!controller.signal.aborted) {
      interruptedAt = now();
      controller.abort();
    } else if (now() - interruptedAt >= SECOND_INTERRUPT_MS) {
      exit();
    }
  };
}
