import { assert } from "@std/assert";

const root = new URL("../", import.meta.url);

/** README.md, CONTRIBUTING.md and docs/*.md, by path from the repository root. */
async function pages(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const path of ["README.md", "CONTRIBUTING.md"]) {
    found.set(path, await Deno.readTextFile(new URL(path, root)));
  }
  for await (const entry of Deno.readDir(new URL("docs/", root))) {
    if (entry.isFile && entry.name.endsWith(".md")) {
      found.set(`docs/${entry.name}`, await Deno.readTextFile(new URL(`docs/${entry.name}`, root)));
    }
  }
  return found;
}

/** The text of every fenced code block with the given language. */
function blocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)]
    .filter((match) => match[1] === language)
    .map((match) => match[2]);
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

/** The anchors of a page's headings (code blocks skipped). */
function anchors(markdown: string): Set<string> {
  const prose = markdown.replace(/^```[\s\S]*?^```$/gm, "");
  return new Set([...prose.matchAll(/^#{1,6} (.+)$/gm)].map((match) => slug(match[1])));
}

Deno.test("docs show each task module of docs/examples/ exactly as the file is", async () => {
  const all = await pages();
  let checked = 0;
  for await (const entry of Deno.readDir(new URL("docs/examples/", root))) {
    if (!entry.name.endsWith(".ts")) continue;
    const file = await Deno.readTextFile(new URL(`docs/examples/${entry.name}`, root));
    for (const [path, markdown] of all) {
      if (!markdown.includes(`"./examples/${entry.name}"`)) continue;
      assert(
        blocks(markdown, "ts").includes(file),
        `${path} uses ${entry.name} but does not show it`,
      );
      checked++;
    }
  }
  assert(checked > 0, "no page shows a module of docs/examples/");
});

Deno.test("docs link only to files and headings that exist", async () => {
  const all = await pages();
  for (const [path, markdown] of all) {
    const prose = markdown.replace(/^```[\s\S]*?^```$/gm, "");
    for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
      const [file, anchor] = target.split("#");
      const resolved = file === ""
        ? path
        : new URL(file, new URL(path, "file:///")).pathname.slice(1);
      const text = file === "" ? markdown : all.get(resolved);
      if (text === undefined) {
        const stat = await Deno.stat(new URL(resolved, root)).catch(() => undefined);
        assert(stat !== undefined, `${path} links to a missing file: ${target}`);
        continue;
      }
      if (anchor !== undefined) {
        assert(anchors(text).has(anchor), `${path} links to a missing heading: ${target}`);
      }
    }
  }
});
