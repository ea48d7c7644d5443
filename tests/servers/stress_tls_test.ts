import { assertEquals } from "@std/assert";
import { runStress } from "../../servers/stress.ts";
import { liveWorkers } from "../../servers/_stress_live.ts";

// A throwaway test CA and a certificate for localhost/127.0.0.1 signed by it (P-256,
// valid for 100 years). Test data only: the key protects nothing.
const CA = `-----BEGIN CERTIFICATE-----
MIIBmjCCAT+gAwIBAgIUS633WhVmSDN1CxmET1rxXVnQhwQwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOVGFuZGVtIFRlc3QgQ0EwIBcNMjYxMTI1MTk0NDU1WhgPMjEy
NjExMDExOTQ0NTVaMBkxFzAVBgNVBAMMDlRhbmRlbSBUZXN0IENBMFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAE2FeAcpYO9TO8NinSkW6I8Q4cBQCoSeBocR/9smv7
g7kUbanyNEMQvi+6KxrtJSUD/R5S0ItKyzX+MlZjU69sAKNjMGEwHQYDVR0OBBYE
FIXgVwNMJKmy8proGvVnh8b/fOpHMB8GA1UdIwQYMBaAFIXgVwNMJKmy8proGvVn
h8b/fOpHMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgIEMAoGCCqGSM49
BAMCA0kAMEYCIQCO57kufdbMFbc3XHXHcQL0QCYTQBMbGkymKQ/wTSn0OgIhAOTZ
+Q5mi3ZJluamdhTlHAkB9UKok8xBFkP7JWRBRx2z
-----END CERTIFICATE-----`;
const CERT = `-----BEGIN CERTIFICATE-----
MIIBrzCCAVWgAwIBAgIUBEqkmgvjN4mt9F7sWUGM488Z6u4wCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOVGFuZGVtIFRlc3QgQ0EwIBcNMjYxMTI1MTk0NDU1WhgPMjEy
NjExMDExOTQ0NTVaMBQxEjAQBgNVBAMMCWxvY2FsaG9zdDBZMBMGByqGSM49AgEG
CCqGSM49AwEHA0IABJQxx46NHQWfZJIRxxHr6O+jMfRpqCCPlBQbqs4CaQbLpyhE
Jr5ynF0GD1fVwjcGtAhjufLOmTKh2vfS/j1VtMajfjB8MBoGA1UdEQQTMBGCCWxv
Y2FsaG9zdIcEfwAAATAJBgNVHRMEAjAAMBMGA1UdJQQMMAoGCCsGAQUFBwMBMB0G
A1UdDgQWBBQihIimXD+5KN4Odq3s25MpfTuEfzAfBgNVHSMEGDAWgBSF4FcDTCSp
svKa6Br1Z4fG/3zqRzAKBggqhkjOPQQDAgNIADBFAiEA8GwYMccxv1t0nWIqO9Td
moie8HZ7sfu/ea03wDpiyNYCIEggzBhfNj4DIq6wRAEWCDdkYb80CK/+RGqUCHUQ
EYRe
-----END CERTIFICATE-----`;
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgFbXe3kUdJN3F0l0q
GxGA+hb3t5mGpWh2IdIFU5h06V+hRANCAASUMceOjR0Fn2SSEccR6+jvozH0aagg
j5QUG6rOAmkGy6coRCa+cpxdBg9X1cI3BrQIY7nyzpkyodr30v49VbTG
-----END PRIVATE KEY-----`;

Deno.test("runStress() speaks HTTPS over Deno.connectTls", async () => {
  let served = 0;
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: CERT, key: KEY, onListen() {} },
    () => {
      served++;
      return new Response("secure");
    },
  );
  const report = await runStress({
    url: `https://localhost:${server.addr.port}/`,
    requests: 120,
    concurrency: 3,
    caCerts: [CA],
  });
  assertEquals(report.successes, 120);
  assertEquals(report.statusCodes, { "200": 120 });
  assertEquals(served, 120);
  assertEquals(liveWorkers.count, 0);
});

Deno.test("runStress() counts an untrusted certificate as 'other' failures", async () => {
  await using server = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      cert: CERT,
      key: KEY,
      onListen() {},
      onError: () => new Response(null, { status: 500 }),
    },
    () => new Response("secure"),
  );
  const report = await runStress({
    url: `https://localhost:${server.addr.port}/`,
    requests: 4,
    concurrency: 1,
  });
  assertEquals(report.successes, 0);
  assertEquals(report.failures.other, 4);
  assertEquals(report.requests, 4);
});
