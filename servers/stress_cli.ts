// Placeholder entry point: this app has not been built yet.
console.error("stress: not built yet");
Deno.exit(1);
