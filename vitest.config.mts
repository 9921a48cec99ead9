import { defineConfig } from "vitest/config";

// Tests that start real servers (Samba, the local tenant, the Pulumi CLI) run in forked processes with long
// timeouts; no test asserts on elapsed time (benchmarks live in bench/ and print figures instead).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "policies/**/*.test.ts"],
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 300_000,
    globalSetup: ["test/globalSetup.ts"],
    reporters: process.env.CI ? ["default", "junit"] : ["default"],
    outputFile: { junit: "out/test-results.xml" },
  },
});
