/**
 * The way out to language models: a client for OpenAI-compatible chat APIs (OpenAI, Ollama,
 * vLLM, llama.cpp server, ...), and the pieces to speak their streaming format ourselves.
 *
 * <ul>
 *   <li>{@link dev.sandcastle.interpreter.openai.Upstreams} (from Open WebUI's own environment
 *       variables, or given) and {@link dev.sandcastle.interpreter.openai.Upstream}: where chats
 *       go.
 *   <li>{@link dev.sandcastle.interpreter.openai.OpenAiClient}: the merged model list, and chat
 *       completions, streamed chunk by chunk to a {@link
 *       dev.sandcastle.interpreter.openai.ChunkHandler} or whole.
 *   <li>{@link dev.sandcastle.interpreter.openai.ToolCallAccumulator}: one streamed turn
 *       assembled (text, reasoning, {@link dev.sandcastle.interpreter.openai.ToolCall}s, finish
 *       reason).
 *   <li>{@link dev.sandcastle.interpreter.openai.Chunks} and {@link
 *       dev.sandcastle.interpreter.openai.SseWriter}: our own answers in OpenAI's chunk format,
 *       as Server-Sent Events.
 * </ul>
 *
 * <p>Errors are the unchecked kinds of {@code dev.sandcastle.core.errors} ({@code Unavailable}
 * for anything an upstream does wrong, {@code NotFound} for an unknown model), and {@link
 * java.lang.IllegalArgumentException} for bad configuration. No message carries an API key.
 */
package dev.sandcastle.interpreter.openai;
