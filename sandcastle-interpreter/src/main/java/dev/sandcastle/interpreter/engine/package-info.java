/**
 * Where the model's Python code runs: an {@link dev.sandcastle.interpreter.engine.Engine} runs
 * code for a user's chat in a persistent interpreter and returns a {@link
 * dev.sandcastle.interpreter.engine.CodeRun} of engine-neutral {@link
 * dev.sandcastle.interpreter.engine.CodeOutput}s, passing each output to a live callback on the
 * caller's thread as it comes.
 *
 * <p>Engines: {@link dev.sandcastle.interpreter.engine.WorkspaceEngine} (a kernel of the user's own
 * workspace, the default), {@link dev.sandcastle.interpreter.engine.JupyterEngine} (an external
 * Jupyter Server), {@link dev.sandcastle.interpreter.engine.PyodideEngine} (the user's browser,
 * through a {@link dev.sandcastle.interpreter.engine.PyodideBroker} the web layer feeds).
 *
 * <p>Errors are the unchecked kinds of {@code dev.sandcastle.core.errors}; a run that fails in the
 * code or times out is not an error but a {@code CodeRun} with that status.
 */
package dev.sandcastle.interpreter.engine;
