/** syncgap's name and version, from package.json (reports carry them). */
import pkg from "../package.json";

export const TOOL = { name: "syncgap", version: (pkg as { version: string }).version } as const;
