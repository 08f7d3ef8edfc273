/**
 * A broker configuration the broker refuses to start with. The message is one line that
 * names the key, the value and what is allowed, so a CLI can print it as it is.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** The configuration the problem is about, when there is one. */
  readonly key: string | undefined;
  /** The offending value as written, when there is one. */
  readonly value: string | undefined;

  constructor(message: string, details: { key?: string; value?: string } = {}) {
    super(message);
    this.key = details.key;
    this.value = details.value;
  }

  /** Kafka's wording for a value that does not validate. */
  static invalidValue(key: string, value: string, reason: string): ConfigError {
    return new ConfigError(`Invalid value ${value} for configuration ${key}: ${reason}`, {
      key,
      value,
    });
  }
}
