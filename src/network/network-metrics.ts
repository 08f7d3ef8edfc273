/** Counters of one listener, kept as plain numbers so a metrics reporter can read them at any time. */
export class NetworkMetrics {
  connectionsOpen = 0;
  connectionsAccepted = 0;
  /** Connections closed for being idle longer than `connections.max.idle.ms`. */
  connectionsClosedIdle = 0;
  /** Connections closed because of a bad frame or a request the dispatcher refused. */
  connectionsClosedOnError = 0;
  bytesIn = 0;
  bytesOut = 0;
  requestsTotal = 0;
  /** Requests received per API key (as read from the frame, known to the broker or not). */
  readonly requestsByApiKey = new Map<number, number>();

  countRequest(apiKey: number): void {
    this.requestsTotal += 1;
    this.requestsByApiKey.set(apiKey, (this.requestsByApiKey.get(apiKey) ?? 0) + 1);
  }
}
