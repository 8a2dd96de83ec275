package dev.sandcastle.app;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A tiny JSON client for component tests: one base URL, headers per call. */
final class Http {
  static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final String base;
  private final Map<String, String> headers;

  Http(String base, Map<String, String> headers) {
    this.base = base;
    this.headers = Map.copyOf(headers);
  }

  Http with(String name, String value) {
    Map<String, String> more = new LinkedHashMap<>(headers);
    more.put(name, value);
    return new Http(base, more);
  }

  Http without(String name) {
    Map<String, String> fewer = new LinkedHashMap<>(headers);
    fewer.remove(name);
    return new Http(base, fewer);
  }

  record Response(int status, String text) {
    JsonNode json() {
      return JSON.readTree(text);
    }
  }

  Response get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
  }

  Response delete(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).DELETE());
  }

  Response post(String path, Object body) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
  }

  Response patch(String path, Object body) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
        .method("PATCH", HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
  }

  Response put(String path, Object body) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
  }

  /** Runs a command and waits for it (Open Terminal's run_command). */
  JsonNode run(String command) {
    return run("", command);
  }

  /** Runs a command under a path prefix such as {@code /p/policy}. */
  JsonNode run(String prefix, String command) {
    Response response = post(prefix + "/execute?wait=20", Map.of("command", command));
    if (response.status() != 200) {
      throw new AssertionError("execute failed: " + response.status() + " " + response.text());
    }
    return response.json();
  }

  static String output(JsonNode view) {
    StringBuilder text = new StringBuilder();
    for (JsonNode entry : view.path("output")) {
      text.append(entry.path("data").asString(""));
    }
    return text.toString();
  }

  /** Uploads {@code size} zero bytes as the multipart field {@code file}, streamed. */
  Response upload(String path, String filename, long size) {
    String boundary = "sandcastle-test-boundary";
    byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename + "\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    java.io.InputStream zeros = new java.io.InputStream() {
      private long left = size;

      @Override
      public int read() {
        return left-- > 0 ? 0 : -1;
      }

      @Override
      public int read(byte[] buffer, int offset, int length) {
        if (left <= 0) {
          return -1;
        }
        int n = (int) Math.min(length, left);
        java.util.Arrays.fill(buffer, offset, offset + n, (byte) 0);
        left -= n;
        return n;
      }
    };
    return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.SequenceInputStream(
            java.util.Collections.enumeration(java.util.List.of(new java.io.ByteArrayInputStream(head), zeros,
                new java.io.ByteArrayInputStream(tail))))), head.length + size + tail.length)));
  }

  private Response send(HttpRequest.Builder request) {
    headers.forEach(request::header);
    request.timeout(Duration.ofSeconds(60));
    try {
      HttpResponse<String> response = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
