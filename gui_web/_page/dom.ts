// Copyright 2026 the Tandem authors. MIT license.
/**
 * Private: DOM helpers of the GUI's page.
 *
 * @module
 */
/// <reference lib="dom" />

/**
 * The element with an id; the page's HTML has every id the script asks for.
 *
 * @param id The id.
 * @returns The element.
 */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`The page has no element '#${id}'`);
  return element as T;
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
    const tr = document.createElement("tr");
    for (const cell of cells) {
      const td = document.createElement("td");
      td.textContent = cell;
      tr.appendChild(td);
    }
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
  const made = document.createElement(tag);
  made.textContent = text;
  return made;
}
