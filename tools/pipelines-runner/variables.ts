/**
 * Run-time variables as an Azure Pipelines agent sees them: case-insensitive names, `$(name)` macros expanded
 * in step inputs, scripts and `env:` values (an unknown macro stays as literal text, as on an agent), every
 * non-secret variable also in the environment as NAME_IN_CAPS with dots turned into underscores, and secret
 * variables only where a step maps them explicitly.
 * https://learn.microsoft.com/azure/devops/pipelines/process/variables
 */

interface Entry {
  name: string;
  value: string;
  secret: boolean;
  readonly: boolean;
}

const MACRO = /\$\(([A-Za-z0-9_.-]+)\)/g;

export class Variables {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly parent?: Variables) {}

  child(): Variables {
    return new Variables(this);
  }

  set(name: string, value: string, opts: { secret?: boolean; readonly?: boolean } = {}): void {
    const existing = this.find(name);
    if (existing?.readonly) throw new Error(`variable ${existing.name} is read-only`);
    this.entries.set(name.toLowerCase(), {
      name,
      value,
      secret: opts.secret ?? existing?.secret ?? false,
      readonly: opts.readonly ?? false,
    });
  }

  private find(name: string): Entry | undefined {
    return this.entries.get(name.toLowerCase()) ?? this.parent?.find(name);
  }

  has(name: string): boolean {
    return this.find(name) !== undefined;
  }

  /** The value with its own macros expanded, or undefined when the variable is not defined. */
  get(name: string): string | undefined {
    const e = this.find(name);
    return e === undefined ? undefined : this.expand(e.value);
  }

  isSecret(name: string): boolean {
    return this.find(name)?.secret ?? false;
  }

  all(): Entry[] {
    const merged = new Map<string, Entry>();
    const chain: Variables[] = [];
    for (let v: Variables | undefined = this; v; v = v.parent) chain.unshift(v);
    for (const v of chain) for (const [k, e] of v.entries) merged.set(k, e);
    return [...merged.values()];
  }

  secretValues(): string[] {
    return this.all()
      .filter((e) => e.secret)
      .map((e) => this.expand(e.value));
  }

  /** Expands `$(name)` macros; unknown names stay as they are. Nested macros are expanded up to a depth. */
  expand(text: string, depth = 0): string {
    if (depth > 10 || !text.includes("$(")) return text;
    return text.replace(MACRO, (m, name: string) => {
      const e = this.find(name);
      return e === undefined ? m : this.expand(e.value, depth + 1);
    });
  }

  /** The environment a step gets from the variables: every non-secret variable, NAME_LIKE_THIS. */
  environment(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const e of this.all()) {
      if (e.secret) continue;
      env[envName(e.name)] = this.expand(e.value);
    }
    return env;
  }
}

export function envName(variable: string): string {
  return variable.replace(/[.\s]/g, "_").toUpperCase();
}
