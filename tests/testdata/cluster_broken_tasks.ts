// A task module that fails to load: a cluster worker must exit 1 with a clear line.
export function add(a: number, b: number): number {
  return a + b;
}

throw new Error("this task module cannot load");
