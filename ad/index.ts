/** syncgap's on-prem Active Directory side: the LDAP reader, export-file readers and identifier helpers. */
export { type AdErrorCode, AdReadError } from "./errors";
export { escapeDnValue, escapeFilterValue } from "./escape";
export {
  type CsvExportOptions,
  CsvFileSource,
  type ExportFileOptions,
  LdifFileSource,
  readAdCsvFile,
  readLdifFile,
  splitMultiValue,
} from "./exportFiles";
export * from "./ids";
export {
  AD_MAX_PAGE_SIZE,
  createLdapAdSource,
  DEFAULT_USER_FILTER,
  LdapAdSource,
  type LdapAdSourceOptions,
  type LdapReadStats,
} from "./ldapReader";
export { type LdifRecord, LdifSyntaxError, parseLdif } from "./ldif";
export { ldifAttr } from "./ldifWriter";
export type { AdSource, AdUser } from "./types";
export { AD_BINARY_ATTRIBUTES, AD_USER_ATTRIBUTES, adUserFromAttributes } from "./userMapping";
