package dev.sandcastle.api;

import dev.sandcastle.core.errors.BadRequest;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** Reads and validates query parameters and headers, with errors that name the parameter. */
final class Params {
  private Params() {}

  /** Seconds as a duration, 0 when absent, at most {@code max}. */
  static Duration seconds(Context ctx, String name, int max) {
    String raw = ctx.queryParam(name);
    if (raw == null || raw.isBlank()) {
      return Duration.ZERO;
    }
    double value;
    try {
      value = Double.parseDouble(raw);
    } catch (NumberFormatException e) {
      throw new BadRequest(name + " must be a number of seconds, got '" + raw + "'");
    }
    if (!(value >= 0 && value <= max)) {
      throw new BadRequest(name + " must be between 0 and " + max + " seconds");
    }
    return Duration.ofNanos((long) (value * 1e9));
  }

  /** A timeout from a request body, in seconds: zero when absent, else above 0 and at most {@code max}. */
  static Duration timeout(Double seconds, int max) {
    if (seconds == null) {
      return Duration.ZERO;
    }
    if (!(seconds > 0 && seconds <= max)) {
      throw new BadRequest("timeout must be between 0 and " + max + " seconds");
    }
    return Duration.ofMillis((long) (seconds * 1000));
  }

  static OptionalInt integer(Context ctx, String name, int min, int max) {
    String raw = ctx.queryParam(name);
    if (raw == null || raw.isBlank()) {
      return OptionalInt.empty();
    }
    try {
      int value = Integer.parseInt(raw.trim());
      if (value < min || value > max) {
        throw new BadRequest(name + " must be between " + min + " and " + max);
      }
      return OptionalInt.of(value);
    } catch (NumberFormatException e) {
      throw new BadRequest(name + " must be an integer, got '" + raw + "'");
    }
  }

  static boolean bool(Context ctx, String name, boolean fallback) {
    String raw = ctx.queryParam(name);
    if (raw == null || raw.isBlank()) {
      return fallback;
    }
    return switch (raw.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw new BadRequest(name + " must be true or false, got '" + raw + "'");
    };
  }

  static String required(Context ctx, String name) {
    String raw = ctx.queryParam(name);
    if (raw == null || raw.isEmpty()) {
      throw new BadRequest("query parameter '" + name + "' is required");
    }
    return raw;
  }

  static String optional(Context ctx, String name, String fallback) {
    String raw = ctx.queryParam(name);
    return raw == null || raw.isEmpty() ? fallback : raw;
  }

  /** A repeatable parameter, accepted as {@code name=a&name=b}, {@code name[]=a} or {@code name=a,b}. */
  static List<String> list(Context ctx, String name) {
    List<String> values = new ArrayList<>();
    for (String key : List.of(name, name + "[]")) {
      for (String value : ctx.queryParams(key)) {
        for (String part : value.split(",")) {
          if (!part.isBlank()) {
            values.add(part.trim());
          }
        }
      }
    }
    return values;
  }

  /** The chat session, keying the current directory. */
  static Optional<String> session(Context ctx) {
    String id = ctx.header("X-Session-Id");
    if (id == null || id.isBlank()) {
      return Optional.empty();
    }
    if (id.length() > 256 || id.chars().anyMatch(Character::isISOControl)) {
      throw new BadRequest("X-Session-Id must be at most 256 printable characters");
    }
    return Optional.of(id);
  }

  static <T> T require(T value, String name) {
    if (value == null) {
      throw new BadRequest("'" + name + "' is required");
    }
    return value;
  }
}
