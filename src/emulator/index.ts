// The emulator's public surface: start it, steer it, read what it saw.
export type {
  Emulator,
  EmulatorDeployment,
  EmulatorOptions,
  Fault,
  FaultRule,
  RequestRecord,
  Timing,
  Usage,
} from "./api.js";
export { startEmulator } from "./server.js";
export { promptTokensFor } from "./tokens.js";
