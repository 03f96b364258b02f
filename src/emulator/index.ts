// The emulator's public surface: start it, steer it, read what it saw.
export type {
  Emulator,
  EmulatorDeployment,
  EmulatorOptions,
  Fault,
  FaultRule,
  RequestRecord,
  ResponseState,
  Timing,
  Usage,
} from "./api.js";
export { startEmulator } from "./server.js";
export { promptTokensFor, responseInputTokensFor } from "./tokens.js";
