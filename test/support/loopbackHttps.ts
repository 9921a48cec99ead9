/**
 * HTTPS servers on loopback for the Graph client's security and timeout tests: a stand-in Graph that serves crafted
 * pages, a capture server that records whatever reaches it, a server that accepts and never answers.
 *
 * Their certificates come from one private CA made here (emulator/certs.ts). The CA is written to a file that the
 * tests hand to syncgap as `caCertPath`, so the client trusts these servers exactly the way it trusts the local tenant
 * (trustCaFile): verification stays on, and a request that reaches a server would succeed — "no request arrived" is
 * then the client's doing, not a TLS failure.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CaMaterial, createCa, issueServerCertificate } from "../../emulator/certs";

export interface SeenRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, server: LoopbackHttps) => void;

export interface LoopbackHttps {
  /** `https://127.0.0.1:<port>` */
  origin: string;
  /** Every request that reached the server, in order. */
  requests: SeenRequest[];
  /** Replaces the handler (the default answers 404). */
  handle(h: Handler): void;
  close(): Promise<void>;
}

export interface TestCa {
  ca: CaMaterial;
  /** PEM file of the CA certificate: the `caCertPath` to give syncgap. */
  caCertPath: string;
}

export async function createTestCa(): Promise<TestCa> {
  const ca = await createCa("syncgap loopback test CA");
  const dir = mkdtempSync(join(tmpdir(), "syncgap-loopback-ca-"));
  const caCertPath = join(dir, "ca.pem");
  writeFileSync(caCertPath, ca.certPem);
  return { ca, caCertPath };
}

/** Starts an HTTPS server on 127.0.0.1 (a free port) with a certificate from `ca`. */
export async function startLoopbackHttps(ca: TestCa, handler?: Handler): Promise<LoopbackHttps> {
  const tls = await issueServerCertificate(ca.ca, ["localhost"], ["127.0.0.1"]);
  let current: Handler =
    handler ??
    ((_req, res) => {
      res.writeHead(404).end();
    });
  const requests: SeenRequest[] = [];
  const server = createServer({ key: tls.keyPem, cert: tls.certPem });
  const self: LoopbackHttps = {
    origin: "",
    requests,
    handle(h) {
      current = h;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  server.on("request", (req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    current(req, res, self);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  self.origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return self;
}

/** Answers with a JSON body. */
export function json(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** A synced Entra user as Graph returns it with syncgap's $select. */
export function graphUser(n: number): Record<string, unknown> {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    userPrincipalName: `user${n}@corp.example.test`,
    displayName: `User ${n}`,
    mobilePhone: null,
    onPremisesImmutableId: null,
    onPremisesSecurityIdentifier: null,
    onPremisesSamAccountName: `user${n}`,
    onPremisesUserPrincipalName: null,
    onPremisesDistinguishedName: null,
    onPremisesSyncEnabled: true,
    accountEnabled: true,
  };
}
