/**
 * Trusting the emulator's CA inside a process that is already running (tests, the demo driver, benchmarks): the
 * product's own trustCaPem (graph/client.ts), under the name the emulator's users look for. Product code
 * trusts the CA through a connection's `caCertPath` or NODE_EXTRA_CA_CERTS.
 */
export { trustCaPem as trustEmulatorCa } from "../graph/trust";
