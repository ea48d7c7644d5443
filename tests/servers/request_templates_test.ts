// Copyright 2026 the Tandem authors. MIT license.

import { assertEquals, assertThrows } from "@std/assert";
import {
  encodeTemplate,
  normalizeTemplates,
  parseHar,
  parseRequestsFile,
  type RequestTemplate,
} from "../../servers/_request_templates.ts";

const testdata = new URL("../testdata/", import.meta.url);
const requestsText = Deno.readTextFileSync(new URL("stress_requests.jsonl", testdata));
const harText = Deno.readTextFileSync(new URL("stress_site.har", testdata));
const BASE = "http://127.0.0.1:8000/app/";
const decode = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? undefined : new TextDecoder().decode(bytes);
const summary = (t: RequestTemplate) => ({
  name: t.name,
  method: t.method,
  url: t.url.href,
  headers: t.headers,
  body: decode(t.body),
  weight: t.weight,
});

Deno.test("parseRequestsFile() reads templates, resolves URLs and names them", () => {
  const templates = parseRequestsFile(requestsText, { file: "reqs.jsonl", base: BASE });
  assertEquals(templates.map(summary), [
    {
      name: "home",
      method: "GET",
      url: "http://127.0.0.1:8000/",
      headers: [["accept", "text/html"]],
      body: undefined,
      weight: 3,
    },
    {
      name: "GET /api/items?page=2",
      method: "GET",
      url: "http://127.0.0.1:8000/api/items?page=2",
      headers: [],
      body: undefined,
      weight: 1,
    },
    {
      name: "POST /api/login",
      method: "POST",
      url: "http://127.0.0.1:8000/api/login",
      headers: [["content-type", "application/json"]],
      body: '{"user":"ada"}',
      weight: 0.5,
    },
    {
      name: "GET /api/items?page=2 #2",
      method: "GET",
      url: "http://127.0.0.1:8000/api/items?page=2",
      headers: [["accept", "application/json"]],
      body: undefined,
      weight: 1,
    },
  ]);
});

Deno.test("parseRequestsFile() resolves relative URLs against the run's URL", () => {
  const [relative, absolutePath] = parseRequestsFile('{"url":"items"}\r\n{"url":"/x"}\r\n', {
    file: "r",
    base: BASE,
  });
  assertEquals(relative.url.href, "http://127.0.0.1:8000/app/items");
  assertEquals(absolutePath.url.href, "http://127.0.0.1:8000/x");
  // A byte-order mark and credentials of the run's URL do not get in the way.
  const [t] = parseRequestsFile('\uFEFF{"url":"/y"}', { file: "r", base: "http://u:p@127.0.0.1/" });
  assertEquals(t.url.href, "http://127.0.0.1/y");
});

Deno.test("parseRequestsFile() takes the first template's origin when the run has no URL", () => {
  const text = '{"url":"http://127.0.0.1:9000/a"}\n{"url":"http://127.0.0.1:9000/b"}';
  assertEquals(
    parseRequestsFile(text, { file: "r" }).map((t) => t.url.href),
    ["http://127.0.0.1:9000/a", "http://127.0.0.1:9000/b"],
  );
  assertThrows(
    () =>
      parseRequestsFile('{"url":"http://127.0.0.1:9000/a"}\n{"url":"http://[::1]:9000/b"}', {
        file: "r",
      }),
    TypeError,
    "Cannot read 'r' as line 2 'url' must be on the run's origin 'http://127.0.0.1:9000' (one run keeps one pool of connections): received 'http://[::1]:9000/b'",
  );
});

Deno.test("parseRequestsFile() names the file, the line and the field of a bad line", () => {
  const cases: [string, ErrorConstructor | RangeErrorConstructor, string][] = [
    ['{"url":"/"}\n{"url":', TypeError, "Cannot read 'r.jsonl' as line 2 is not valid JSON: "],
    [
      '\n\n["/"]',
      TypeError,
      "Cannot read 'r.jsonl' as line 3 must be a JSON object: received an array",
    ],
    ["42", TypeError, "Cannot read 'r.jsonl' as line 1 must be a JSON object: received 42"],
    [
      '{"url":"/","wieght":2}',
      TypeError,
      "Cannot read 'r.jsonl' as line 1 'wieght' is not a field: use 'name', 'method', 'url', 'headers', 'body', 'weight'",
    ],
    [
      '{"method":"GET"}',
      TypeError,
      "Cannot read 'r.jsonl' as line 1 'url' must be a non-empty string: received undefined",
    ],
    [
      '{"url":"ftp://127.0.0.1/"}',
      TypeError,
      "Cannot read 'r.jsonl' as line 1 'url' must be an 'http:' or 'https:' URL: received 'ftp:'",
    ],
    [
      '{"url":"http://127.0.0.1:8000/"}\n{"url":"http://example.com/"}',
      TypeError,
      "Cannot read 'r.jsonl' as line 2 'url' must be on the run's origin 'http://127.0.0.1:8000' (one run keeps one pool of connections): received 'http://example.com/'",
    ],
    [
      '{"url":"https://127.0.0.1:8000/"}',
      TypeError,
      "Cannot read 'r.jsonl' as line 1 'url' must be on the run's origin 'http://127.0.0.1:8000' (one run keeps one pool of connections): received 'https://127.0.0.1:8000/'",
    ],
    [
      '{"url":"http://a:b@127.0.0.1:8000/"}',
      TypeError,
      "Cannot read 'r.jsonl' as line 1 'url' must not carry credentials: put them in the run's URL or an 'authorization' header: received 'http://a:b@127.0.0.1:8000/'",
    ],
    [
      '{"url":"/","method":"GE T"}',
      TypeError,
      "Cannot read 'r.jsonl' as line 1 'method' must be an HTTP method: received 'GE T'",
    ],
    [
      '{"url":"/","weight":0}',
      RangeError,
      "Cannot read 'r.jsonl' as line 1 'weight' must be a positive finite number: received 0",
    ],
    [
      '{"url":"/","weight":-2}',
      RangeError,
      "Cannot read 'r.jsonl' as line 1 'weight' must be a positive finite number: received -2",
    ],
    [
      '{"url":"/","weight":1e999}',
      RangeError,
      "Cannot read 'r.jsonl' as line 1 'weight' must be a positive finite number: received Infinity",
    ],
    [
      '{"url":"/","weight":"3"}',
      TypeError,
      "Cannot read 'r.jsonl' as line 1 'weight' must be a positive finite number: received '3'",
    ],
    [
      '{"url":"/","weight":null}',
      TypeError,
      "Cannot read 'r.jsonl' as line 1 'weight' must be a positive finite number: received null",
    ],
    [
      '{"url":"/","body":{"a":1}}',
      TypeError,
      "Cannot read 'r.jsonl' as line 1 'body' must be a string or null: received an object",
    ],
    [
      '{"url":"/","headers":"a: b"}',
      TypeError,
      "Cannot read 'r.jsonl' as line 1 'headers' must be an object of strings: received 'a: b'",
    ],
    [
      '{"url":"/","headers":{"a":1}}',
      TypeError,
      "Cannot read 'r.jsonl' as line 1 'headers' must map names to strings: received 'a': 1",
    ],
    [
      '{"url":"/","headers":{"a b":"1"}}',
      TypeError,
      "Cannot read 'r.jsonl' as line 1 'headers' has an invalid header: received 'a b: 1'",
    ],
    [
      '{"url":"/","headers":{"Content-Length":"3"}}',
      TypeError,
      "Cannot read 'r.jsonl' as line 1 'headers' must not set 'Content-Length': the body's length is sent for it",
    ],
    [
      '{"url":"/","name":"  "}',
      TypeError,
      "Cannot read 'r.jsonl' as line 1 'name' must be a non-empty string without control characters: received '  '",
    ],
    [
      '{"url":"/","name":"a\\nb"}',
      TypeError,
      "Cannot read 'r.jsonl' as line 1 'name' must be a non-empty string without control characters: received 'a\nb'",
    ],
    [
      `{"url":"/","name":"${"x".repeat(201)}"}`,
      RangeError,
      "Cannot read 'r.jsonl' as line 1 'name' must be at most 200 characters: received 201",
    ],
    [
      '{"name":"home","url":"/"}\n\n{"name":"home","url":"/b"}',
      TypeError,
      "Cannot read 'r.jsonl' as line 3 'name' must be unique: received 'home' (also line 1)",
    ],
    ["\n  \n", TypeError, "Cannot read 'r.jsonl' as it holds no request: every line is blank"],
  ];
  for (const [text, ErrorClass, message] of cases) {
    assertThrows(
      () => parseRequestsFile(text, { file: "r.jsonl", base: "http://127.0.0.1:8000/" }),
      ErrorClass,
      message,
    );
  }
  assertThrows(
    () => parseRequestsFile('{"url":"/"}', { file: "r.jsonl" }),
    TypeError,
    "Cannot read 'r.jsonl' as line 1 'url' must be an absolute URL when the run has no URL: received '/'",
  );
});

Deno.test("parseRequestsFile() gives explicit names priority over default ones", () => {
  const text = '{"url":"/"}\n{"url":"/","name":"GET /"}\n{"url":"/"}';
  assertEquals(
    parseRequestsFile(text, { file: "r", base: BASE }).map((t) => t.name),
    ["GET / #2", "GET /", "GET / #3"],
  );
});

Deno.test("parseRequestsFile() numbers repeated default names past explicit ones", () => {
  const lines = ['{"url":"/","name":"GET / #3"}'];
  for (let i = 0; i < 5_000; i++) lines.push('{"url":"/"}');
  const names = parseRequestsFile(lines.join("\n"), { file: "r", base: BASE }).map((t) => t.name);
  assertEquals(names.slice(0, 5), ["GET / #3", "GET /", "GET / #2", "GET / #4", "GET / #5"]);
  assertEquals(names.at(-1), "GET / #5001");
  assertEquals(new Set(names).size, names.length);
});

Deno.test("parseHar() turns a browser's HAR export into templates", () => {
  const templates = parseHar(harText, { file: "site.har", base: "http://127.0.0.1:8000/" });
  assertEquals(templates.map(summary), [
    {
      // Host, Connection and what it names (X-Trace), Cookie and Proxy-* are dropped.
      name: "GET /",
      method: "GET",
      url: "http://127.0.0.1:8000/",
      headers: [["Accept", "text/html"], ["Upgrade-Insecure-Requests", "1"]],
      body: undefined,
      weight: 1,
    },
    {
      // Two recordings that differ only in pseudo-headers and TE: one template, weight 2.
      name: "GET /api/items?page=2",
      method: "GET",
      url: "http://127.0.0.1:8000/api/items?page=2",
      headers: [["accept", "application/json"]],
      body: undefined,
      weight: 2,
    },
    {
      name: "POST /api/login",
      method: "POST",
      url: "http://127.0.0.1:8000/api/login",
      headers: [["content-type", "application/json"]],
      body: '{"user":"ada"}',
      weight: 1,
    },
    {
      // A form recorded as params only; the WebSocket entry before it is skipped.
      name: "POST /api/search",
      method: "POST",
      url: "http://127.0.0.1:8000/api/search",
      headers: [["Accept", "*/*"], ["content-type", "application/x-www-form-urlencoded"]],
      body: "q=a+b&n=5",
      weight: 1,
    },
  ]);
});

Deno.test("parseHar() keeps cookies when asked", () => {
  const [home] = parseHar(harText, { file: "site.har", cookies: true });
  assertEquals(home.headers, [
    ["Accept", "text/html"],
    ["Cookie", "sid=42"],
    ["Upgrade-Insecure-Requests", "1"],
  ]);
});

Deno.test("parseHar() refuses what is not HAR and names the entry and field", () => {
  const har = (...requests: unknown[]) =>
    JSON.stringify({ log: { entries: requests.map((request) => ({ request })) } });
  const cases: [string, string][] = [
    [requestsText, "Cannot read 'x.har' as it is not HAR: it is not valid JSON ("],
    [
      "[]",
      "Cannot read 'x.har' as it is not HAR: it has no 'log.entries' array (export it from the browser's network panel: Save all as HAR)",
    ],
    ['{"log":{}}', "Cannot read 'x.har' as it is not HAR: it has no 'log.entries' array"],
    [har(), "Cannot read 'x.har' as it holds no HTTP request: 'log.entries' is empty"],
    [
      har({ method: "GET", url: "wss://127.0.0.1/live" }),
      "Cannot read 'x.har' as it holds no HTTP request: no entry is an 'http:' or 'https:' request",
    ],
    [
      JSON.stringify({ log: { entries: [{}] } }),
      "Cannot read 'x.har' as 'log.entries[0].request' must be an object: received undefined",
    ],
    [
      har({ method: "GET" }),
      "Cannot read 'x.har' as 'log.entries[0].request.url' must be a string: received undefined",
    ],
    [
      har({ method: "GET", url: "http://127.0.0.1/" }, { url: "http://127.0.0.1/b" }),
      "Cannot read 'x.har' as 'log.entries[1].request.method' must be a string: received undefined",
    ],
    [
      har({ method: "GET", url: "http://127.0.0.1/", headers: [{ name: "a" }] }),
      "Cannot read 'x.har' as 'log.entries[0].request.headers' must be an array of { name, value } strings",
    ],
    [
      har({ method: "GET", url: "http://127.0.0.1/" }, {
        method: "GET",
        url: "https://cdn.example.com/a.js",
      }),
      "Cannot read 'x.har' as 'log.entries[1].request.url' must be on the run's origin 'http://127.0.0.1' (one run keeps one pool of connections): received 'https://cdn.example.com/a.js'",
    ],
    [
      har({ method: "GET", url: "http://127.0.0.1/", postData: "x" }),
      "Cannot read 'x.har' as 'log.entries[0].request.postData' must be an object: received 'x'",
    ],
  ];
  for (const [text, message] of cases) {
    assertThrows(() => parseHar(text, { file: "x.har" }), TypeError, message);
  }
  assertThrows(
    () => parseHar(harText, { file: "x.har", base: "http://localhost:8000/" }),
    TypeError,
    "Cannot read 'x.har' as 'log.entries[0].request.url' must be on the run's origin 'http://localhost:8000' (one run keeps one pool of connections): received 'http://127.0.0.1:8000/'",
  );
});

Deno.test("normalizeTemplates() checks the templates option with its index", () => {
  const templates = normalizeTemplates([
    { url: "/a", body: new Uint8Array([1, 2]) },
    { url: "/b", method: "head", headers: [["x-k", "v"]], weight: 2, name: "b" },
  ], { base: new URL("http://127.0.0.1:8000/") });
  assertEquals(templates.map((t) => [t.name, t.method, t.body?.length, t.weight]), [
    ["GET /a", "GET", 2, 1],
    ["b", "HEAD", undefined, 2],
  ]);
  const cases: [unknown, ErrorConstructor | RangeErrorConstructor, string][] = [
    [
      [],
      TypeError,
      "Cannot run stress as 'templates' must be a non-empty array: received an empty array",
    ],
    [
      [{ url: "/", weight: -1 }],
      RangeError,
      "Cannot run stress as 'templates[0].weight' must be a positive finite number: received -1",
    ],
    [
      [{ url: "/" }, { url: "/", body: 5 }],
      TypeError,
      "Cannot run stress as 'templates[1].body' must be a string or null: received 5",
    ],
    [
      [{ url: "/", name: "a" }, { url: "/b", name: "a" }],
      TypeError,
      "Cannot run stress as 'templates[1].name' must be unique: received 'a' (also templates[0])",
    ],
    [
      [{ url: "http://example.com/" }],
      TypeError,
      "Cannot run stress as 'templates[0].url' must be on the run's origin 'http://127.0.0.1:8000'",
    ],
  ];
  for (const [inits, ErrorClass, message] of cases) {
    assertThrows(
      () => normalizeTemplates(inits as [], { base: "http://127.0.0.1:8000/" }),
      ErrorClass,
      message,
    );
  }
  assertThrows(
    () => normalizeTemplates([{ url: "/" }], { base: "nope" }),
    TypeError,
    "Cannot run stress as the URL is malformed: received 'nope'",
  );
});

Deno.test("encodeTemplate() encodes a request with the run's headers under the template's", () => {
  const [login, head] = normalizeTemplates([
    {
      method: "POST",
      url: "/login?next=%2F",
      headers: { "Content-Type": "text/plain", Accept: "a/b" },
      body: "hé",
    },
    { method: "HEAD", url: "/" },
  ], { base: BASE });
  assertEquals(
    decode(encodeTemplate(login, [["authorization", "Basic dTpw"], ["content-type", "x/y"]])),
    "POST /login?next=%2F HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: tandem-stress/0.1\r\n" +
      "Accept: a/b\r\nContent-Length: 3\r\nauthorization: Basic dTpw\r\nContent-Type: text/plain\r\n\r\nhé",
  );
  assertEquals(
    decode(encodeTemplate(head)),
    "HEAD / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: tandem-stress/0.1\r\nAccept: */*\r\n\r\n",
  );
});
