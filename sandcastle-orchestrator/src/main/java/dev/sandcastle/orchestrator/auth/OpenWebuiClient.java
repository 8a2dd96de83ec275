package dev.sandcastle.orchestrator.auth;

import dev.sandcastle.core.errors.BadRequest;
import dev.sandcastle.core.errors.Forbidden;
import dev.sandcastle.core.errors.Unauthorized;
import dev.sandcastle.core.errors.Unavailable;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The upstream "callback" check: asks Open WebUI ({@code GET {base}/api/v1/auths/} with the
 * token) who the token belongs to. Positive answers are cached for the configured time, keyed by
 * the token's SHA-256 (the token itself is not kept), at most {@link #MAX_ENTRIES} of them
 * (the oldest go first).
 * Thread-safe; the call blocks the calling thread (meant for virtual threads).
 */
final class OpenWebuiClient {
  static final int MAX_ENTRIES = 10_000;
  private static final int MAX_BYTES = 256 * 1024;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private record Cached(Principal.User user, Instant until) {}

  private final HttpClient http;
  private final URI endpoint;
  private final Duration ttl;
  private final InstantSource clock;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, Cached> cache; // guarded by lock; oldest first

  OpenWebuiClient(HttpClient http, URI base, Duration ttl, int maxEntries, InstantSource clock) {
    String text = base.toString();
    this.endpoint = URI.create((text.endsWith("/") ? text : text + "/") + "api/v1/auths/");
    this.http = http;
    this.ttl = ttl;
    this.clock = clock;
    this.cache = new LinkedHashMap<>() {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
        return size() > maxEntries;
      }
    };
  }

  /**
   * The user Open WebUI says the token belongs to.
   *
   * @throws Unauthorized when Open WebUI rejects the token (401 or 403)
   * @throws Forbidden when the account still awaits an administrator's approval
   * @throws Unavailable when Open WebUI cannot be reached or answers with something else
   */
  Principal.User verify(String token) {
    String key = HexFormat.of().formatHex(Digest.sha256(token));
    Instant now = clock.instant();
    lock.lock();
    try {
      Cached cached = cache.get(key);
      if (cached != null && now.isBefore(cached.until())) {
        return cached.user();
      }
      cache.remove(key);
    } finally {
      lock.unlock();
    }
    Principal.User user = ask(token);
    if (ttl.isPositive()) {
      lock.lock();
      try {
        cache.put(key, new Cached(user, now.plus(ttl)));
      } finally {
        lock.unlock();
      }
    }
    return user;
  }

  /** How many answers are cached now (for tests). */
  int cached() {
    lock.lock();
    try {
      return cache.size();
    } finally {
      lock.unlock();
    }
  }

  private Principal.User ask(String token) {
    HttpFetch.Answer answer;
    try {
      answer = HttpFetch.get(http, endpoint, Optional.of(token), MAX_BYTES);
    } catch (IOException e) {
      throw new Unavailable("Open WebUI cannot be reached to verify the token; try again later");
    }
    if (answer.status() == 401 || answer.status() == 403) {
      throw new Unauthorized("Open WebUI did not accept the token");
    }
    if (answer.status() != 200) {
      throw new Unavailable("Open WebUI could not verify the token (HTTP " + answer.status() + "); try again later");
    }
    JsonNode body;
    try {
      body = JSON.readTree(new String(answer.body(), StandardCharsets.UTF_8));
    } catch (JacksonException e) {
      throw new Unavailable("Open WebUI's answer about the token could not be understood");
    }
    JsonNode id = body.path("id");
    if (!id.isString() || id.asString().isEmpty()) {
      throw new Unavailable("Open WebUI's answer about the token names no user");
    }
    String role = body.path("role").asString("");
    if (role.equals("pending")) {
      throw new Forbidden("the account is waiting for an administrator's approval in Open WebUI");
    }
    try {
      return new Principal.User(id.asString(), role.equals("admin"));
    } catch (BadRequest e) {
      throw new Unauthorized("the token's user id is not valid");
    }
  }
}
