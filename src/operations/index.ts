// Every operation AI-K serves, as the proto methods that reach it: both front doors and the boot checks read this list.
import { chatMethods } from "./chat/served.js";
import { completionMethods } from "./completions/served.js";
import { embeddingsMethods } from "./embeddings/served.js";
import { modelMethods } from "./models/served.js";
import { responsesMethods } from "./responses/served.js";
import type { ServedMethod } from "./served-method.js";

export type { ServedMethod } from "./served-method.js";

export const servedMethods: readonly ServedMethod[] = [
  ...chatMethods,
  ...completionMethods,
  ...embeddingsMethods,
  ...modelMethods,
  ...responsesMethods,
];
