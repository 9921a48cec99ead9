/**
 * The @azure/identity credentials syncgap builds, and only those (providers/credentials.ts is typed against this).
 *
 * The command's bundle (scripts/build-cli.mjs) loads this module where syncgap's code says
 * `require("@azure/identity")`: re-exporting by name (an ES import) lets the bundler take @azure/identity's ES
 * module build and leave out what syncgap never builds (DefaultAzureCredential's chain, interactive browser, Visual
 * Studio Code, …). Loading it takes about half the time of loading the whole package (25 ms instead of 45-55 ms on
 * the benchmark machine), on every command that talks to Graph. Run from source, the package itself is loaded.
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
