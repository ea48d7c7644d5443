throw new Error("this module fails to load");
export function add(a: number, b: number): number {
  return a + b;
}
