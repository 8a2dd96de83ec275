package dev.sandcastle.interpreter.chat;

import java.util.Objects;
import java.util.Optional;

/**
 * Sends one HTTP request of a {@link TerminalTools} call to the workspace API of the user the chat
 * belongs to, and returns its answer whatever the status.
 *
 * <p>Called on the thread that runs {@link TerminalTools#call}, once per tool call that passed
 * validation; it may block (a loopback HTTP call). The implementation adds what the model must not
 * choose: the base URL, credentials and client headers such as {@code X-Session-Id}. It may throw
 * an unchecked exception when the workspace cannot be reached; the caller reports that to the
 * model as an error. An HTTP error status is not an exception: return it as a {@link Response}.
 */
@FunctionalInterface
public interface ToolTransport {

  /**
   * Sends a request and waits for the whole response.
   *
   * @param method HTTP method in upper case ({@code GET}, {@code POST}, {@code DELETE}, ...)
   * @param pathAndQuery absolute path of the workspace API with its query string, already
   *     percent-encoded, e.g. {@code /files/read?path=notes.txt}
   * @param jsonBody the request body ({@code Content-Type: application/json}), or empty for none
   */
  Response send(String method, String pathAndQuery, Optional<String> jsonBody);

  /**
   * An HTTP response.
   *
   * @param status the status code (100 to 599)
   * @param contentType the {@code Content-Type} header, empty when the response had none
   * @param body the body decoded as text (UTF-8), empty when there was none
   */
  record Response(int status, String contentType, String body) {
    public Response {
      if (status < 100 || status > 599) {
        throw new IllegalArgumentException("HTTP status out of range: " + status);
      }
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(body, "body");
    }
  }
}
