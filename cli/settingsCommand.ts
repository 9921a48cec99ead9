/**
 * `syncgap settings`: the settings table (cli/settings.ts) as docs/configuration.md shows it, or with --schema the
 * JSON Schema of syncgap.yaml (schemas/syncgap-config.schema.json). Both files are regenerated from here.
 */
import type { Command } from "commander";
import { configSchema } from "./config";
import { settingsMarkdown } from "./settings";

export function registerSettings(program: Command): void {
  program
    .command("settings")
    .description(
      "every setting with its flag, syncgap.yaml key and variable (Markdown), or --schema: the file's JSON Schema",
    )
    .option("--schema", "print schemas/syncgap-config.schema.json instead")
    .action(function (this: Command) {
      const { schema } = this.opts<{ schema?: boolean }>();
      process.stdout.write(schema ? `${JSON.stringify(configSchema(), null, 2)}\n` : settingsMarkdown());
    });
}
