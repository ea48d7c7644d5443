// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: the page's view of the DOM, and helpers over it.
 *
 * The page's files are type-checked with the rest of the repository by `deno check .`,
 * in one program with Deno's types. TypeScript's `dom` library cannot join that program:
 * its stream types clash with Deno's (`pipeThrough(new TextDecoderStream())` stops
 * type-checking in tests/servers/echo_cli_test.ts). So the little of the DOM the page uses
 * is declared here, under the DOM's names, and `document` and `history` are read from
 * `globalThis`.
 *
 * @module
 */

/** An element, as far as the page uses it. */
export interface HTMLElement {
  id: string;
  hidden: boolean;
  textContent: string | null;
  className: string;
  tabIndex: number;
  readonly clientWidth: number;
  readonly dataset: Record<string, string | undefined>;
  readonly classList: { toggle(name: string, force?: boolean): boolean };
  setAttribute(name: string, value: string): void;
  getAttribute(name: string): string | null;
  removeAttribute(name: string): void;
  focus(): void;
  scrollIntoView(): void;
  appendChild<T extends HTMLElement>(child: T): T;
  append(...children: HTMLElement[]): void;
  querySelectorAll<T extends HTMLElement = HTMLElement>(
    selectors: string,
  ): ArrayLike<T> & Iterable<T>;
  addEventListener(type: string, listener: (event: Event) => void): void;
}

/** `<input>`. */
export interface HTMLInputElement extends HTMLElement {
  value: string;
  readOnly: boolean;
  disabled: boolean;
  type: string;
  checked: boolean;
  /** The chosen files of `type="file"`. */
  readonly files: ArrayLike<File> | null;
}

/** `<textarea>`. */
export interface HTMLTextAreaElement extends HTMLElement {
  value: string;
  readOnly: boolean;
}

/** `<button>`. */
export interface HTMLButtonElement extends HTMLElement {
  type: string;
  disabled: boolean;
}

/** `<a>`. */
export interface HTMLAnchorElement extends HTMLElement {
  href: string;
  download: string;
}

/** `<progress>`. */
export interface HTMLProgressElement extends HTMLElement {
  max: number;
  value: number;
}

/** `<details>`. */
export interface HTMLDetailsElement extends HTMLElement {
  open: boolean;
}

/** `<form>`. */
export type HTMLFormElement = HTMLElement;

/** `<td>`. */
export interface HTMLTableCellElement extends HTMLElement {
  colSpan: number;
}

/** `<tr>`. */
export interface HTMLTableRowElement extends HTMLElement {
  insertCell(): HTMLTableCellElement;
}

/** `<tbody>`. */
export interface HTMLTableSectionElement extends HTMLElement {
  insertRow(): HTMLTableRowElement;
}

/** `<table>`. */
export interface HTMLTableElement extends HTMLElement {
  readonly tBodies: ArrayLike<HTMLTableSectionElement>;
}

/** The elements `element()` makes. */
export interface HTMLElementTagNameMap {
  div: HTMLElement;
  dt: HTMLElement;
  dd: HTMLElement;
  li: HTMLElement;
  tr: HTMLTableRowElement;
  td: HTMLTableCellElement;
  input: HTMLInputElement;
  button: HTMLButtonElement;
}

interface PageDocument {
  getElementById(id: string): HTMLElement | null;
  createElement(tag: string): HTMLElement;
  querySelectorAll<T extends HTMLElement = HTMLElement>(
    selectors: string,
  ): ArrayLike<T> & Iterable<T>;
}

interface PageGlobals {
  document: PageDocument;
  history: { replaceState(data: null, unused: string, url: string): void };
  ResizeObserver: new (callback: () => void) => { observe(target: HTMLElement): void };
}

const page = globalThis as unknown as PageGlobals;

/** The page's document. */
export const document: PageDocument = page.document;

/** The page's session history. */
export const history: PageGlobals["history"] = page.history;

/** Calls back when an element's size changes. */
export const ResizeObserver: PageGlobals["ResizeObserver"] = page.ResizeObserver;

/**
 * The element with an id; the page's HTML has every id the script asks for.
 *
 * @param id The id.
 * @returns The element.
 */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`The page has no element '#${id}'`);
  return found as T;
}

/**
 * Replaces a table's body rows with text cells.
 *
 * @param table The table.
 * @param rows The rows' cells.
 */
export function fillTable(table: HTMLTableElement, rows: readonly (readonly string[])[]): void {
  const body = table.tBodies[0];
  body.textContent = "";
  for (const cells of rows) {
    const tr = element("tr");
    for (const cell of cells) tr.appendChild(element("td", cell));
    body.appendChild(tr);
  }
}

/**
 * A new element with text.
 *
 * @param tag The tag name.
 * @param text Its text.
 * @returns The element.
 */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text = "",
): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag) as HTMLElementTagNameMap[K];
  made.textContent = text;
  return made;
}
