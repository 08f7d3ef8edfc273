import type { HandlerContext } from '../router.js';

/** The client's address as Kafka shows it in group descriptions (InetAddress.toString). */
export function clientHostOf(ctx: HandlerContext): string {
  return `/${ctx.clientAddress}`;
}
