// Placeholder entry point: this app has not been built yet.
console.error("wordcount: not built yet");
Deno.exit(1);
