/**
 * A client for an external Jupyter Server: the REST API for kernel specs and kernels, and the
 * kernel channels WebSocket for running code, in the legacy JSON message format that every
 * Jupyter Server (1.x and 2.x) speaks.
 *
 * <p>Entry point: {@link dev.sandcastle.interpreter.jupyter.JupyterClient#connect}. A client is
 * bound to one server and one set of credentials; {@link
 * dev.sandcastle.interpreter.jupyter.KernelSession} runs code on one kernel and returns
 * Jupyter-shaped {@link dev.sandcastle.interpreter.jupyter.Output}s.
 *
 * <p>Errors are the unchecked kinds of {@code dev.sandcastle.core.errors}: {@code Unavailable}
 * when the server cannot be reached, refuses our credentials, fails, or drops the connection;
 * {@code NotFound} for an unknown kernel or kernel spec; {@code BadRequest} for arguments we
 * refuse before sending anything. Messages name the server by its base URL, never a secret.
 */
package dev.sandcastle.interpreter.jupyter;
