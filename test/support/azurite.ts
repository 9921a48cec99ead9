/**
 * Azurite (npm `azurite`, a devDependency) as the Azure Blob endpoint of a Pulumi state backend, started by this
 * project's own code: `node_modules/.bin/azurite-blob` on 127.0.0.1, a free port, its data in a folder of its own,
 * and an account with a random key of its own (AZURITE_ACCOUNTS, so Azurite's well-known `devstoreaccount1` key does
 * not open it). Used by the provider and pipeline end-to-end tests and by the local runner
 * (tools/pipelines-runner/localTenant.ts); `scripts/azurite.sh` starts one by hand.
 *
 * How Pulumi reaches it (read in the pinned CLI's sources: pulumi v3.274.1 pkg/backend/diy/backend.go, which opens
 * `azblob://` URLs with gocloud.dev v0.46.1-0.20260810195832-b5401c07b5f1 blob/azureblob):
 *   - `azblob://CONTAINER?domain=127.0.0.1:PORT&protocol=http&localemu=true`: gocloud's withOverrides() takes
 *     exactly `domain`, `protocol`, `cdn`, `localemu` and `storage_account` (any other query parameter is an error);
 *     NewServiceURL() puts the account name in the PATH (`http://127.0.0.1:PORT/<account>`) when `localemu` is true
 *     or the domain starts with 127.0.0.1, so the URL itself must not carry the account;
 *   - the credential comes from the environment only (newCredInfoFromEnv): AZURE_STORAGE_ACCOUNT *and*
 *     AZURE_STORAGE_KEY give a shared key; the URL's `storage_account` does not count there. Without both, gocloud
 *     falls back to azidentity's DefaultAzureCredential (Azure CLI login, workload identity, …).
 * Azurite's options: `--loose` (ignore headers it does not know), `--skipApiVersionCheck` (the Go SDK may send a
 * newer x-ms-version than Azurite knows), `--disableTelemetry` (Azurite reports usage by default: no outbound
 * traffic from tests), `--silent` (no access log).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const AZURITE_BLOB = path.join(REPO_ROOT, "node_modules", ".bin", "azurite-blob");
/** The Blob REST API version the container requests are signed for. */
const API_VERSION = "2021-12-02";

export interface AzuriteOptions {
  /** Azurite's data folder (default: a new temporary folder, removed by `dispose()`). */
  dataDir?: string;
  /** Default: a free port on 127.0.0.1. */
  port?: number;
  /** Storage account name (default `syncgapstate`). */
  account?: string;
  /** Base64 account key (default: 32 random bytes). */
  key?: string;
  log?: (line: string) => void;
}

export interface Azurite {
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly account: string;
  readonly dataDir: string;
  /** `http://127.0.0.1:PORT/<account>`: where gocloud sends the requests. */
  readonly blobEndpoint: string;
  /** The Pulumi backend URL for a container (`pulumi login <url>`). */
  backendUrl(container: string): string;
  /** AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY (the key is a secret: environment only, never a command line). */
  env(): { AZURE_STORAGE_ACCOUNT: string; AZURE_STORAGE_KEY: string };
  /** Creates a container with a shared-key-signed `PUT ?restype=container` (no-op when it exists). */
  createContainer(name: string): Promise<void>;
  /** Blob names in a container (signed `GET ?restype=container&comp=list`). */
  listBlobs(container: string, prefix?: string): Promise<string[]>;
  /** Deletes one blob (signed DELETE). */
  deleteBlob(container: string, name: string): Promise<void>;
  running(): boolean;
  /** Stops the server: SIGTERM (clean shutdown), or SIGKILL to simulate the endpoint dying. Keeps the data folder. */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Starts it again on the same port, data folder and key (after `stop`). */
  restart(): Promise<void>;
  /** Stops it and removes the data folder when this module created it. */
  dispose(): Promise<void>;
}

/** A port that is free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

export async function startAzurite(opts: AzuriteOptions = {}): Promise<Azurite> {
  const ownsDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), "syncgap-azurite-"));
  mkdirSync(dataDir, { recursive: true });
  const account = opts.account ?? "syncgapstate";
  const key = opts.key ?? randomBytes(32).toString("base64");
  const port = opts.port ?? (await freePort());
  const blobEndpoint = `http://127.0.0.1:${port}/${account}`;
  let child: ChildProcess | undefined;

  const launch = async () => {
    const c = spawn(
      AZURITE_BLOB,
      [
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        String(port),
        "--location",
        dataDir,
        "--loose",
        "--skipApiVersionCheck",
        "--disableTelemetry",
        "--silent",
      ],
      // The account and its key reach Azurite through its environment, never its command line.
      {
        cwd: dataDir,
        env: { ...process.env, AZURITE_ACCOUNTS: `${account}:${key}` },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child = c;
    let out = "";
    const onData = (d: Buffer) => {
      out += d;
      for (const line of String(d).split("\n").filter(Boolean)) opts.log?.(`[azurite] ${line}`);
    };
    c.stdout?.on("data", onData);
    c.stderr?.on("data", onData);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Azurite did not start within 30 s:\n${out.slice(-2000)}`)),
        30_000,
      );
      const check = () => {
        if (/successfully listens on/i.test(out)) {
          clearTimeout(timer);
          c.stdout?.off("data", check);
          c.off("exit", onExit);
          resolve();
        }
      };
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`Azurite exited (${code}) before it listened:\n${out.slice(-2000)}`));
      };
      c.stdout?.on("data", check);
      c.once("exit", onExit);
    });
  };

  const signed = (method: string, resource: string, query: Record<string, string>) =>
    blobRequest({ port, account, key, method, resource, query });

  const az: Azurite = {
    host: "127.0.0.1",
    port,
    account,
    dataDir,
    blobEndpoint,
    backendUrl: (container) => `azblob://${container}?domain=127.0.0.1:${port}&protocol=http&localemu=true`,
    env: () => ({ AZURE_STORAGE_ACCOUNT: account, AZURE_STORAGE_KEY: key }),
    async createContainer(name) {
      const r = await signed("PUT", `/${name}`, { restype: "container" });
      if (r.status !== 201 && !(r.status === 409 && r.body.includes("ContainerAlreadyExists"))) {
        throw new Error(`Azurite: creating container ${name} answered HTTP ${r.status}: ${r.body.slice(0, 500)}`);
      }
    },
    async listBlobs(container, prefix) {
      const r = await signed("GET", `/${container}`, {
        restype: "container",
        comp: "list",
        ...(prefix ? { prefix } : {}),
      });
      if (r.status !== 200) throw new Error(`Azurite: listing ${container} answered HTTP ${r.status}: ${r.body}`);
      return [...r.body.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => decodeXml(m[1] as string));
    },
    async deleteBlob(container, name) {
      const r = await signed("DELETE", `/${container}/${name.split("/").map(encodeURIComponent).join("/")}`, {});
      if (r.status !== 202) throw new Error(`Azurite: deleting ${name} answered HTTP ${r.status}: ${r.body}`);
    },
    running: () => !!child && child.exitCode === null && child.signalCode === null,
    async stop(signal = "SIGTERM") {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once("exit", r));
      c.kill(signal);
      await exited;
    },
    async restart() {
      if (az.running()) throw new Error("Azurite is still running");
      await launch();
    },
    async dispose() {
      await az.stop();
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await launch();
  return az;
}

function decodeXml(s: string): string {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

/**
 * One Blob REST request signed with the account key (Shared Key authorization,
 * https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key). Against an emulator the URL is
 * path-style (`/<account>/<container>`), so the canonicalized resource names the account twice
 * (`/<account>/<account>/<container>`), as Azurite's BlobSharedKeyAuthenticator computes it. @azure/storage-blob is
 * not a dependency of this project, hence the few lines here.
 */
export function blobRequest(o: {
  port: number;
  account: string;
  key: string;
  method: string;
  resource: string;
  query: Record<string, string>;
}): Promise<{ status: number; body: string }> {
  const date = new Date().toUTCString();
  const headers: Record<string, string> = { "x-ms-date": date, "x-ms-version": API_VERSION };
  const canonHeaders = Object.keys(headers)
    .sort()
    .map((h) => `${h}:${headers[h]}\n`)
    .join("");
  const canonQuery = Object.keys(o.query)
    .map((k) => k.toLowerCase())
    .sort()
    .map((k) => `\n${k}:${o.query[k]}`)
    .join("");
  const pathPart = `/${o.account}${o.resource}`;
  // VERB, Content-Encoding, -Language, -Length, -MD5, -Type, Date, If-Modified-Since, If-Match, If-None-Match,
  // If-Unmodified-Since, Range: all empty here (x-ms-date stands for Date).
  const stringToSign = `${[o.method, "", "", "", "", "", "", "", "", "", "", ""].join("\n")}\n${canonHeaders}/${o.account}${pathPart}${canonQuery}`;
  const signature = createHmac("sha256", Buffer.from(o.key, "base64")).update(stringToSign, "utf8").digest("base64");
  const qs = new URLSearchParams(o.query).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: o.port,
        method: o.method,
        path: `${pathPart}${qs ? `?${qs}` : ""}`,
        headers: { ...headers, Authorization: `SharedKey ${o.account}:${signature}`, "Content-Length": "0" },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}
