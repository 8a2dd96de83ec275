package dev.sandcastle.orchestrator.auth;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Slows down guessing of credentials: remembers failed authentications per client address and
 * says how long to hold back the response to that address's next request.
 *
 * <p>Failures are counted in a window of {@link #WINDOW} that opens with an address's first
 * failure. The first {@link #FREE_FAILURES} - 1 failures cost nothing; from the
 * {@value #FREE_FAILURES}th on the penalty is {@link #BASE_PENALTY} and doubles with every further
 * failure, up to {@link #MAX_PENALTY}. A success forgets the address. IPv6 addresses are counted
 * per /64 network (one host usually holds a whole /64). At most {@value #MAX_ADDRESSES} addresses
 * are remembered; beyond that the one least recently seen is forgotten.
 *
 * <p>Thread-safe; every method is quick and never blocks on I/O (address literals are parsed, never resolved).
 */
public final class FailureThrottle {
  public static final Duration WINDOW = Duration.ofMinutes(10);
  public static final int FREE_FAILURES = 5;
  public static final Duration BASE_PENALTY = Duration.ofMillis(100);
  public static final Duration MAX_PENALTY = Duration.ofSeconds(5);
  public static final int MAX_ADDRESSES = 100_000;

  private record Failures(int count, Instant since) {}

  private final InstantSource clock;
  private final int maxAddresses;
  private final Map<String, Failures> failures; // guarded by this; least recently seen first

  public FailureThrottle() {
    this(InstantSource.system());
  }

  /** With a clock of the caller's choice, e.g. a fixed one in tests. */
  public FailureThrottle(InstantSource clock) {
    this(clock, MAX_ADDRESSES);
  }

  FailureThrottle(InstantSource clock, int maxAddresses) {
    this.clock = Objects.requireNonNull(clock);
    this.maxAddresses = maxAddresses;
    this.failures = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Failures> eldest) {
        return size() > FailureThrottle.this.maxAddresses;
      }
    };
  }

  /** How long to delay the response to a request from {@code address}: zero without recent failures. */
  public synchronized Duration penalty(String address) {
    String key = key(address);
    Failures recent = failures.get(key);
    if (recent == null) {
      return Duration.ZERO;
    }
    if (expired(recent)) {
      failures.remove(key);
      return Duration.ZERO;
    }
    if (recent.count() < FREE_FAILURES) {
      return Duration.ZERO;
    }
    int doublings = Math.min(recent.count() - FREE_FAILURES, 16);
    Duration penalty = BASE_PENALTY.multipliedBy(1L << doublings);
    return penalty.compareTo(MAX_PENALTY) > 0 ? MAX_PENALTY : penalty;
  }

  /** Records a failed authentication from {@code address}. */
  public synchronized void failed(String address) {
    String key = key(address);
    Failures recent = failures.get(key);
    failures.put(key, recent == null || expired(recent)
        ? new Failures(1, clock.instant())
        : new Failures(recent.count() + 1, recent.since()));
  }

  /** Records a successful authentication from {@code address}: its failures are forgotten. */
  public synchronized void succeeded(String address) {
    failures.remove(key(address));
  }

  /** How many addresses are remembered now. */
  synchronized int size() {
    return failures.size();
  }

  private boolean expired(Failures recent) {
    return !clock.instant().isBefore(recent.since().plus(WINDOW));
  }

  private static String key(String address) {
    Objects.requireNonNull(address, "address");
    if (address.indexOf(':') < 0) {
      return address;
    }
    try {
      String literal = address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1) : address;
      InetAddress parsed = InetAddress.ofLiteral(literal);
      if (parsed instanceof Inet6Address v6) {
        byte[] bytes = v6.getAddress();
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < 8; i += 2) {
          prefix.append(Integer.toHexString(((bytes[i] & 0xff) << 8) | (bytes[i + 1] & 0xff))).append(':');
        }
        return prefix.append(":/64").toString();
      }
      return parsed.getHostAddress(); // an IPv4 address written as IPv6 (::ffff:a.b.c.d)
    } catch (IllegalArgumentException e) {
      return address;
    }
  }
}
