/**
 * National clouds: where the identity platform and Microsoft Graph live.
 * https://learn.microsoft.com/graph/deployments#microsoft-graph-and-graph-explorer-service-root-endpoints
 * https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud#microsoft-entra-authentication-endpoints
 */
export const CLOUDS = {
  global: { authorityHost: "https://login.microsoftonline.com", graphEndpoint: "https://graph.microsoft.com" },
  usgov: { authorityHost: "https://login.microsoftonline.us", graphEndpoint: "https://graph.microsoft.us" },
  usgovDoD: { authorityHost: "https://login.microsoftonline.us", graphEndpoint: "https://dod-graph.microsoft.us" },
  china: { authorityHost: "https://login.chinacloudapi.cn", graphEndpoint: "https://microsoftgraph.chinacloudapi.cn" },
} as const;

export type CloudName = keyof typeof CLOUDS;

export function isCloudName(v: string): v is CloudName {
  return Object.hasOwn(CLOUDS, v);
}

/** The `.default` scope for a Graph endpoint: tokens are always for the cloud's Graph audience. */
export function graphScope(cloud: CloudName): string {
  return `${CLOUDS[cloud].graphEndpoint}/.default`;
}
