/** The logging the network layer needs; a pino logger fits it as is. */
export interface NetworkLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

const ignore = (): void => {};

export const silentLogger: NetworkLogger = {
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
};
