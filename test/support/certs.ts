/** A throwaway CA and server certificate made with openssl (as scripts/samba-dc.sh does), for TLS tests. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCa {
  dir: string;
  caPem: string;
  caCertPath: string;
  serverKey: string;
  serverCert: string;
}

export function makeTestCa(name: string, san = "IP:127.0.0.1,DNS:localhost"): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "syncgap-ca-"));
  const ossl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  ossl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  ossl(["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]);
  writeFileSync(join(dir, "ext.cnf"), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  ossl([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "ext.cnf",
  ]);
  return {
    dir,
    caPem: readFileSync(join(dir, "ca.pem"), "utf8"),
    caCertPath: join(dir, "ca.pem"),
    serverKey: readFileSync(join(dir, "server.key"), "utf8"),
    serverCert: readFileSync(join(dir, "server.pem"), "utf8"),
  };
}
