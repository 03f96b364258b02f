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
 * Reads a prompt in order and sums its tokens; it keeps the pieces too only when given a list, since just the
 * prompt cache needs them, and only for long prompts. A text piece may arrive in parts: `endText` closes it.
 */
class PromptReader {
  tokens = 0;
  private text = "";

  constructor(private readonly pieces?: PromptPiece[]) {}

  addText(part: string): void {
    this.text += part;
  }

  endText(): void {
    if (this.text === "") return;
    this.tokens += utf8Tokens(this.text);
    this.pieces?.push({ text: this.text });
    this.text = "";
  }

  fixed(tokens: number, what: unknown): void {
    this.tokens += tokens;
    this.pieces?.push({ fixed: tokens, what });
  }
}

type PromptWalk = (reader: PromptReader) => void;

const textPiece = (reader: PromptReader, text: string): void => {
  reader.addText(text);
  reader.endText();
};

function countTokens(walk: PromptWalk): number {
  const reader = new PromptReader();
  walk(reader);
  return reader.tokens;
}

function listPieces(walk: PromptWalk): PromptPiece[] {
  const pieces: PromptPiece[] = [];
  walk(new PromptReader(pieces));
  return pieces;
}

/**
 * prompt_tokens = 3 + ceil(utf8 bytes of JSON.stringify(tools) / 4) when `tools` is present
 *                   + Σ over messages (4 + ceil(utf8 bytes of the message's text / 4) + 85 per non-text content part).
 * A message's text is its string content (or the `text` of its text parts), its `name`, and
 * the name and arguments of each tool call it carries. Anything else counts nothing.
 * The pieces come in that order: Azure renders the tools ahead of the messages.
 */
function chatPieces(reader: PromptReader, body: unknown): void {
  reader.fixed(PRIMING_TOKENS, "prime");
  if (!isObject(body)) return;
  if (Array.isArray(body.tools)) textPiece(reader, JSON.stringify(body.tools));
  if (Array.isArray(body.messages)) {
    for (const message of body.messages) {
      reader.fixed(MESSAGE_TOKENS, ["message", isObject(message) ? message.role : null]);
      messagePieces(reader, message);
    }
  }
}

export const promptTokensFor = (body: unknown): number => countTokens((reader) => chatPieces(reader, body));
export const chatPrompt = (body: unknown): PromptPiece[] => listPieces((reader) => chatPieces(reader, body));

const isTextPart = (part: unknown): part is { text: string } => isObject(part) && typeof part.text === "string";

/** The message's text as one piece, then one piece per non-text part. */
function messagePieces(reader: PromptReader, message: unknown): void {
  if (!isObject(message)) return;
  if (typeof message.name === "string") reader.addText(message.name);
  const content = message.content;
  const parts: unknown[] = Array.isArray(content) ? content : [];
  if (typeof content === "string") reader.addText(content);
  for (const part of parts) if (isTextPart(part)) reader.addText(part.text);
  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls) {
      const fn = isObject(call) ? call.function : undefined;
      if (!isObject(fn)) continue;
      if (typeof fn.name === "string") reader.addText(fn.name);
      if (typeof fn.arguments === "string") reader.addText(fn.arguments);
    }
  }
  reader.endText();
  for (const part of parts) if (!isTextPart(part)) reader.fixed(NON_TEXT_PART_TOKENS, part);
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
function responsesPieces(reader: PromptReader, request: unknown, previousTokens: number): void {
  reader.fixed(PRIMING_TOKENS, "prime");
  const body = isObject(request) ? request : {};
  if (typeof body.instructions === "string") textPiece(reader, body.instructions);
  if (Array.isArray(body.tools)) textPiece(reader, JSON.stringify(body.tools));
  if (previousTokens > 0) reader.fixed(previousTokens, ["previous", body.previous_response_id]);
  if (typeof body.input === "string") {
    reader.fixed(MESSAGE_TOKENS, ["message", "user"]);
    textPiece(reader, body.input);
  } else if (Array.isArray(body.input)) {
    for (const item of body.input) itemPieces(reader, item);
  }
}

export const responseInputTokensFor = (body: unknown, previousTokens = 0): number =>
  countTokens((reader) => responsesPieces(reader, body, previousTokens));
export const responsesPrompt = (body: unknown, previousTokens = 0): PromptPiece[] =>
  listPieces((reader) => responsesPieces(reader, body, previousTokens));

function itemPieces(reader: PromptReader, item: unknown): void {
  const type = isObject(item) ? (item.type ?? "message") : undefined;
  if (!isObject(item) || typeof type !== "string") {
    reader.fixed(MESSAGE_TOKENS, item);
    return;
  }
  switch (type) {
    case "message":
      reader.fixed(MESSAGE_TOKENS, [type, item.role]);
      return messagePieces(reader, { content: item.content });
    case "function_call_output":
      reader.fixed(MESSAGE_TOKENS, [type, item.call_id]);
      return messagePieces(reader, { content: item.output });
    case "function_call":
      reader.fixed(MESSAGE_TOKENS, [type, item.call_id]);
      return messagePieces(reader, { tool_calls: [{ function: { name: item.name, arguments: item.arguments } }] });
    default:
      reader.fixed(MESSAGE_TOKENS, item);
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
