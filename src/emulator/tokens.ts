// Deterministic token accounting: the same request always costs the same, streamed or not.
import { isObject } from "./json-body.js";

/** A fixed cost per non-text part (image, audio, file): Azure's low-detail image price. */
const NON_TEXT_PART_TOKENS = 85;
/** Every chat or Responses prompt opens with these, whatever it says. */
const PRIMING_TOKENS = 3;
const MESSAGE_TOKENS = 4;

const utf8Tokens = (text: string): number => Math.ceil(Buffer.byteLength(text, "utf8") / 4);

/**
 * A run of prompt tokens, in the order the model reads them: text costs ceil(utf8 bytes / 4), token k being
 * bytes 4k..4k+3; a fixed cost (message header, image, earlier turns) is told apart by `what` (JSON).
 */
export type PromptPiece = { text: string } | { fixed: number; what: unknown };

const pieceTokens = (piece: PromptPiece): number => ("text" in piece ? utf8Tokens(piece.text) : piece.fixed);

export function promptSize(prompt: readonly PromptPiece[]): number {
  let tokens = 0;
  for (const piece of prompt) tokens += pieceTokens(piece);
  return tokens;
}

/**
 * prompt_tokens = 3 + ceil(utf8 bytes of JSON.stringify(tools) / 4) when `tools` is present
 *                   + Σ over messages (4 + ceil(utf8 bytes of the message's text / 4) + 85 per non-text content part).
 * A message's text is its string content (or the `text` of its text parts), its `name`, and
 * the name and arguments of each tool call it carries. Anything else counts nothing.
 * The pieces come in that order: Azure renders the tools ahead of the messages.
 */
export function chatPrompt(body: unknown): PromptPiece[] {
  const prompt: PromptPiece[] = [{ fixed: PRIMING_TOKENS, what: "prime" }];
  if (!isObject(body)) return prompt;
  if (Array.isArray(body.tools)) prompt.push({ text: JSON.stringify(body.tools) });
  if (Array.isArray(body.messages)) {
    for (const message of body.messages) {
      prompt.push({ fixed: MESSAGE_TOKENS, what: ["message", isObject(message) ? message.role : null] });
      messagePieces(prompt, message);
    }
  }
  return prompt;
}

export const promptTokensFor = (body: unknown): number => promptSize(chatPrompt(body));

/** The message's text as one piece, then one piece per non-text part. */
function messagePieces(prompt: PromptPiece[], message: unknown): void {
  if (!isObject(message)) return;
  let text = typeof message.name === "string" ? message.name : "";
  const others: PromptPiece[] = [];
  const content = message.content;
  if (typeof content === "string") text += content;
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (isObject(part) && typeof part.text === "string") text += part.text;
      else others.push({ fixed: NON_TEXT_PART_TOKENS, what: part });
    }
  }
  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls) {
      const fn = isObject(call) ? call.function : undefined;
      if (!isObject(fn)) continue;
      if (typeof fn.name === "string") text += fn.name;
      if (typeof fn.arguments === "string") text += fn.arguments;
    }
  }
  if (text !== "") prompt.push({ text });
  prompt.push(...others);
}

/**
 * Responses API input_tokens = 3 + ceil(utf8 bytes of `instructions` / 4)
 *   + ceil(utf8 bytes of JSON.stringify(tools) / 4) when `tools` is present
 *   + `previousTokens`: the previous response's input_tokens + output_tokens, when chained
 *   + Σ over input items (4 + ceil(utf8 bytes of the item's text / 4) + 85 per non-text content part).
 * A string `input` is one item of that text. An item's text is a message's string content (or the `text`
 * of its parts), a function_call_output's `output` (read the same way), or a function_call's name and
 * arguments; any other item (item_reference, reasoning, ...) costs its 4 alone.
 * The pieces come in that order; the earlier turns are one piece, known by `previous_response_id`.
 */
export function responsesPrompt(request: unknown, previousTokens = 0): PromptPiece[] {
  const prompt: PromptPiece[] = [{ fixed: PRIMING_TOKENS, what: "prime" }];
  const body = isObject(request) ? request : {};
  if (typeof body.instructions === "string" && body.instructions !== "") prompt.push({ text: body.instructions });
  if (Array.isArray(body.tools)) prompt.push({ text: JSON.stringify(body.tools) });
  if (previousTokens > 0) prompt.push({ fixed: previousTokens, what: ["previous", body.previous_response_id] });
  if (typeof body.input === "string") {
    prompt.push({ fixed: MESSAGE_TOKENS, what: ["message", "user"] });
    if (body.input !== "") prompt.push({ text: body.input });
  } else if (Array.isArray(body.input)) {
    for (const item of body.input) itemPieces(prompt, item);
  }
  return prompt;
}

export const responseInputTokensFor = (body: unknown, previousTokens = 0): number => promptSize(responsesPrompt(body, previousTokens));

function itemPieces(prompt: PromptPiece[], item: unknown): void {
  const type = isObject(item) ? (item.type ?? "message") : undefined;
  if (!isObject(item) || typeof type !== "string") {
    prompt.push({ fixed: MESSAGE_TOKENS, what: item });
    return;
  }
  switch (type) {
    case "message":
      prompt.push({ fixed: MESSAGE_TOKENS, what: [type, item.role] });
      return messagePieces(prompt, { content: item.content });
    case "function_call_output":
      prompt.push({ fixed: MESSAGE_TOKENS, what: [type, item.call_id] });
      return messagePieces(prompt, { content: item.output });
    case "function_call":
      prompt.push({ fixed: MESSAGE_TOKENS, what: [type, item.call_id] });
      return messagePieces(prompt, { tool_calls: [{ function: { name: item.name, arguments: item.arguments } }] });
    default:
      prompt.push({ fixed: MESSAGE_TOKENS, what: item });
  }
}

/** Legacy completions: prompt_tokens = Σ over prompts max(1, ceil(utf8 bytes / 4)), the prompts in order. */
export function completionsPrompt(prompts: readonly string[]): PromptPiece[] {
  return prompts.map((prompt) => (prompt === "" ? { fixed: 1, what: "empty" } : { text: prompt }));
}

/** An embeddings input: a string costs ceil(utf8 bytes / 4) (at least 1), a token array its length. */
export function embeddingInputTokens(input: string | readonly number[]): number {
  return typeof input === "string" ? Math.max(1, utf8Tokens(input)) : input.length;
}

/** Words of the emulated answer; none is derived from the prompt, so no test can mistake an echo for output. */
const WORDS = [
  "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo", "lima",
  "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey",
  "xray", "yankee", "zulu",
];

/** Natural answer length; a smaller max_tokens cuts it short (finish_reason "length"). */
export const NATURAL_COMPLETION_WORDS = 16;

/** Hidden reasoning tokens an o-series model bills per choice, on top of its visible words. */
export const REASONING_TOKENS_PER_CHOICE = 64;

/** `count` words starting at a position fixed by the prompt size and choice index. */
export function completionWords(promptTokens: number, choice: number, count: number): string[] {
  const out: string[] = [];
  const start = promptTokens + choice * 7;
  for (let i = 0; i < count; i++) out.push(WORDS[(start + i) % WORDS.length] ?? "alpha");
  return out;
}
