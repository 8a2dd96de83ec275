package dev.sandcastle.orchestrator.auth;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/** One bounded GET for the key set and the Open WebUI callback: a time limit and a size limit on the answer. */
final class HttpFetch {
  static final Duration TIMEOUT = Duration.ofSeconds(5);

  /** A status and a body of at most the requested size. */
  record Answer(int status, byte[] body) {}

  private HttpFetch() {}

  /**
   * Fetches {@code url}, blocking the calling thread (run on a virtual thread) for at most about
   * {@link #TIMEOUT} until the answer starts.
   *
   * @throws IOException when the server cannot be reached, does not answer in time or answers with more than {@code maxBytes}
   */
  static Answer get(HttpClient http, URI url, Optional<String> bearer, int maxBytes) throws IOException {
    HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(TIMEOUT).header("Accept", "application/json").GET();
    bearer.ifPresent(token -> request.header("Authorization", "Bearer " + token));
    try {
      HttpResponse<byte[]> response =
          http.send(request.build(), HttpResponse.BodyHandlers.limiting(HttpResponse.BodyHandlers.ofByteArray(), maxBytes));
      return new Answer(response.statusCode(), response.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
