/**
 * The @azure/identity credentials syncgap builds, and only those (providers/credentials.ts is typed against this).
 *
 * The command's bundle (scripts/build-cli.mjs) loads this module where syncgap's code says
 * `require("@azure/identity")`: re-exporting by name (an ES import) lets the bundler take @azure/identity's ES
 * module build and leave out what syncgap never builds (DefaultAzureCredential's chain, interactive browser, Visual
 * Studio Code, …), so every command that talks to Graph loads less (docs/benchmarks.md, "What moved the gap-analysis
 * figures"). Run from source, the package itself is loaded.
 */
export {
  AzureCliCredential,
  AzurePipelinesCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  DeviceCodeCredential,
  UsernamePasswordCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
