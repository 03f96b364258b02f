// The transports and call shapes the transport floor compares.

export const TRANSPORTS = ["http", "h2", "grpc-js"] as const;
export type Transport = (typeof TRANSPORTS)[number];

export const SHAPES = ["unary", "stream"] as const;
export type Shape = (typeof SHAPES)[number];
