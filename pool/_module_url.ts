/**
 * Private: resolves and checks a task module's URL.
 *
 * @module
 */

/**
 * Resolves `module` (a URL, or a path relative to the working directory) and, for
 * a local file, checks that it exists.
 *
 * @throws {TypeError} When the module is not a valid specifier or the file does not exist.
 */
export function resolveModule(module: string | URL, what: string): URL {
  let url: URL;
  if (module instanceof URL) {
    url = module;
  } else if (typeof module === "string") {
    try {
      url = /^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)
        ? new URL(module)
        : new URL(module, `file://${Deno.cwd()}/`);
    } catch {
      throw new TypeError(`Cannot create ${what} as its module is not a valid URL: '${module}'`);
    }
  } else {
    throw new TypeError(
      `Cannot create ${what} as its module must be a string or a URL: received ${typeof module}`,
    );
  }
  if (url.protocol === "file:") {
    try {
      const info = Deno.statSync(url);
      if (!info.isFile) {
        throw new TypeError(`Cannot create ${what} as its module is not a file: '${url.href}'`);
      }
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new TypeError(`Cannot create ${what} as its module does not exist: '${url.href}'`);
      }
      if (error instanceof TypeError) throw error;
      // No read permission here: the worker reports a missing module when it loads.
    }
  }
  return url;
}
