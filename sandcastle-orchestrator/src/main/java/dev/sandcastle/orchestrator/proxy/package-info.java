/**
 * Forwarding a tenant's requests to a remote workspace ({@code sandcastle terminal} or Open
 * Terminal) untouched except for authentication: {@link dev.sandcastle.orchestrator.proxy.ReverseProxy}
 * for HTTP (JSON, uploads, NDJSON/SSE streams, downloads) and
 * {@link dev.sandcastle.orchestrator.proxy.WebSocketBridge} for WebSockets (terminals, Jupyter channels).
 * Both stream with bounded memory whatever the body or message size, and both replace the
 * client's credentials with the workspace's own key ({@link dev.sandcastle.orchestrator.proxy.Upstream}).
 */
package dev.sandcastle.orchestrator.proxy;
