/**
 * The local Microsoft Entra ID tenant: a Microsoft Graph v1.0 and identity-platform emulator for syncgap.
 * See docs/emulator.md.
 */
export type { AdminUserView, GenerateUsersSpec } from "./admin";
export { AdminApiError, AdminClient, type DeviceCodeView, type EmulatorInfo } from "./adminClient";
export { createAdSource, inlineAdSource, type LdapAdSourceOptions, ldapSyncSource } from "./adSource";
export { type ClientCertificate, generateClientCertificate } from "./certs";
export { type EmulatorSignIn, emulatorConnection, emulatorEnv, type TenantEndpoint } from "./connection";
export { GLOBAL_ADMINISTRATOR, ROLE_TEMPLATES } from "./directoryRoles";
export type { PolicyType, SyncResult } from "./entraConnect";
export type { FaultRule, FaultRuleInput, RequestLogEntry } from "./limits";
export { seedSchema } from "./seed/schema";
export {
  DEFAULT_OPTIONS,
  FEATURE_NAMES,
  type Features,
  type Seed,
  type SeedApplication,
  type SeedUser,
  type SyncSourceConfig,
  type TenantOptions,
  type TenantOptionsPatch,
} from "./seed/types";
export { loadSeedFile, SeedValidationError, validateSeed } from "./seed/validate";
export {
  ADMIN_KEY_HEADER,
  DEFAULT_SEED_PATH,
  type RunningEmulator,
  type StartEmulatorOptions,
  startEmulator,
} from "./server/startEmulator";
export { trustEmulatorCa } from "./trust";
