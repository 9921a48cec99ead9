/**
 * A minimal LDAPS server on 127.0.0.1 that answers binds with success and searches with a chosen result code, or
 * never answers at all, or answers only some requests: for the error paths a real DC cannot be made to take on
 * demand (referral, size limit, a DC that hangs). Hand-written BER, just enough for ldapts' requests.
 */
import type { AddressInfo } from "node:net";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import type { TestCa } from "./certs";

export type FakeMode =
  | { kind: "silent" } // accepts the connection, never says anything (not even the TLS handshake when tls)
  | {
      /**
       * Completes the TLS handshake (when given a CA) and then answers only these requests: "bind" with success,
       * "startTls" (the StartTLS extended request) with success and then nothing more, not even the TLS handshake
       * the client starts next. Everything else is read and never answered.
       */
      kind: "mute";
      answer?: ("bind" | "startTls")[];
    }
  | {
      kind: "searchResult";
      code: number;
      message?: string;
      referral?: string[];
      /** Entries sent before the result, for every search. */
      entries?: FakeEntry[];
    };

export interface FakeEntry {
  dn: string;
  attributes: [string, Buffer[]][];
}

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}
function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(content.length), content]);
}
function int(tag: number, n: number): Buffer {
  const bytes: number[] = [];
  do {
    bytes.unshift(n & 0xff);
    n >>= 8;
  } while (n > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(tag, Buffer.from(bytes));
}
const str = (s: string) => tlv(0x04, Buffer.from(s, "utf8"));

function ldapResult(opTag: number, messageId: number, code: number, message = "", referral?: string[]): Buffer {
  const parts = [int(0x0a, code), str(""), str(message)];
  if (referral?.length) parts.push(tlv(0xa3, Buffer.concat(referral.map(str))));
  return tlv(0x30, Buffer.concat([int(0x02, messageId), tlv(opTag, Buffer.concat(parts))]));
}

/** SearchResultEntry ([APPLICATION 4]): the DN and the attributes with their values. */
function searchEntry(messageId: number, e: FakeEntry): Buffer {
  const attrs = e.attributes.map(([type, values]) =>
    tlv(0x30, Buffer.concat([str(type), tlv(0x31, Buffer.concat(values.map((v) => tlv(0x04, v))))])),
  );
  return tlv(
    0x30,
    Buffer.concat([int(0x02, messageId), tlv(0x64, Buffer.concat([str(e.dn), tlv(0x30, Buffer.concat(attrs))]))]),
  );
}

/** A BER length at `off`: the length and where its content starts. */
function readLength(buf: Buffer, off: number): { length: number; start: number } {
  const first = buf[off]!;
  if (!(first & 0x80)) return { length: first, start: off + 1 };
  let length = 0;
  for (let i = 0; i < (first & 0x7f); i++) length = (length << 8) | buf[off + 1 + i]!;
  return { length, start: off + 1 + (first & 0x7f) };
}

/** A SearchRequest's content (RFC 4511 4.5.1): baseObject, scope, derefAliases, sizeLimit, timeLimit, … */
function searchLimits(op: Buffer): { baseObject: string; sizeLimit: number; timeLimit: number } {
  const fields: Buffer[] = [];
  let off = 0;
  while (fields.length < 5) {
    const { length, start } = readLength(op, off + 1);
    fields.push(op.subarray(start, start + length));
    off = start + length;
  }
  const int = (b: Buffer) => b.reduce((n, byte) => n * 256 + byte, 0);
  return { baseObject: fields[0]!.toString("utf8"), sizeLimit: int(fields[3]!), timeLimit: int(fields[4]!) };
}

/** Splits a byte stream into LDAPMessages: yields [messageId, protocolOp tag, protocolOp content]. */
function readMessages(buf: Buffer): { messages: [number, number, Buffer][]; rest: Buffer } {
  const messages: [number, number, Buffer][] = [];
  let off = 0;
  while (buf.length - off >= 2) {
    if (buf[off] !== 0x30) throw new Error("not an LDAPMessage");
    let l = buf[off + 1]!;
    let hdr = 2;
    if (l & 0x80) {
      const nb = l & 0x7f;
      if (buf.length - off < 2 + nb) break;
      l = 0;
      for (let i = 0; i < nb; i++) l = (l << 8) | buf[off + 2 + i]!;
      hdr = 2 + nb;
    }
    if (buf.length - off < hdr + l) break;
    const body = buf.subarray(off + hdr, off + hdr + l);
    // messageID INTEGER
    const idLen = body[1]!;
    let id = 0;
    for (let i = 0; i < idLen; i++) id = (id << 8) | body[2 + i]!;
    const op = readLength(body, 3 + idLen);
    messages.push([id, body[2 + idLen]!, body.subarray(op.start, op.start + op.length)]);
    off += hdr + l;
  }
  return { messages, rest: buf.subarray(off) };
}

export interface FakeLdap {
  url: string;
  port: number;
  /** What each SearchRequest asked for, in the order they came. */
  searches: { baseObject: string; sizeLimit: number; timeLimit: number }[];
  close(): Promise<void>;
}

export async function startFakeLdap(mode: FakeMode, ca?: TestCa): Promise<FakeLdap> {
  const sockets = new Set<Socket>();
  const searches: FakeLdap["searches"] = [];
  const handle = (sock: Socket) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => {});
    if (mode.kind === "silent") return;
    let pending: Buffer = Buffer.alloc(0);
    let deaf = false;
    sock.on("data", (d: Buffer) => {
      if (deaf) return; // after a StartTLS "yes": the client's TLS handshake, never answered
      pending = Buffer.concat([pending, d]);
      const { messages, rest } = readMessages(pending);
      pending = rest;
      for (const [id, tag, op] of messages) {
        if (mode.kind === "mute") {
          if (tag === 0x60 && mode.answer?.includes("bind")) sock.write(ldapResult(0x61, id, 0));
          else if (tag === 0x77 && mode.answer?.includes("startTls")) {
            sock.write(ldapResult(0x78, id, 0)); // ExtendedResponse: success
            deaf = true;
            return;
          }
          continue;
        }
        if (tag === 0x60)
          sock.write(ldapResult(0x61, id, 0)); // BindRequest → success
        else if (tag === 0x63) {
          // SearchRequest
          searches.push(searchLimits(op));
          for (const e of mode.entries ?? []) sock.write(searchEntry(id, e));
          sock.write(ldapResult(0x65, id, mode.code, mode.message, mode.referral));
        } else if (tag === 0x42) sock.end(); // UnbindRequest
      }
    });
  };
  let server: Server;
  if (ca && mode.kind !== "silent") server = createTlsServer({ key: ca.serverKey, cert: ca.serverCert }, handle);
  else server = createTcpServer(handle); // a silent TCP server stalls a TLS client in its handshake
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `ldaps://127.0.0.1:${port}`,
    port,
    searches,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
