package dev.sandcastle.api;

import dev.sandcastle.core.errors.Forbidden;
import dev.sandcastle.core.errors.Unauthorized;
import io.javalin.http.Context;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Jupyter Server's password login, for clients configured with a password instead of a token
 * (Open WebUI's Jupyter engine offers both). {@code GET /login} sets an {@code _xsrf} cookie;
 * {@code POST /login} takes the form fields {@code _xsrf} (equal to that cookie) and
 * {@code password}, which is whatever the client would otherwise send as its token (the API key,
 * or on {@code serve} a user's token), and answers with a login cookie. On the Jupyter API (kernels
 * and their channels, nowhere else) that cookie then stands for the password: requests that change
 * something must also send {@code X-XSRFToken} equal to the {@code _xsrf} cookie, and sockets
 * opened from a web page of another origin do not get to use it.
 *
 * <p>The login cookie is the password sealed with AES-GCM under a key this process made at random,
 * with an expiry: nothing is stored here, every request is authenticated afresh by {@link Access}
 * exactly as if it had sent the password as its token (so a signed-out token stops working at
 * once), and a restart ends every login. It is {@code HttpOnly} and {@code SameSite=Strict}.
 */
final class JupyterLogin {
  static final String XSRF_COOKIE = "_xsrf";
  static final String LOGIN_COOKIE = "sandcastle-jupyter";
  private static final String XSRF_HEADER = "X-XSRFToken";
  private static final Duration LIFETIME = Duration.ofHours(12);
  /** Longer passwords are refused: the sealed form must fit in a cookie. */
  private static final int MAX_PASSWORD = 2048;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final SecretKey KEY = newKey();

  private JupyterLogin() {}

  static void register(Router r, Access access) {
    r.get("/login", JupyterLogin::form);
    r.post("/login", ctx -> login(ctx, access));
  }

  /** Whether a request is a password login, which is how credentials are obtained and so needs none. */
  static boolean isLogin(String method, String path) {
    return method.equals("POST") && Access.localPath(path).equals("/login");
  }

  /**
   * The password a request's login cookie stands for, on the Jupyter API; empty without one.
   *
   * @throws Forbidden when the request changes something and its {@code X-XSRFToken} does not
   *     match its {@code _xsrf} cookie
   */
  static Optional<String> token(Context ctx) {
    if (!Access.isJupyterPath(ctx.path())) {
      return Optional.empty();
    }
    Optional<String> password = Optional.ofNullable(ctx.cookie(LOGIN_COOKIE)).flatMap(JupyterLogin::unseal);
    String method = ctx.method().name();
    boolean safe = method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS");
    if (password.isPresent() && !safe && !matches(ctx.header(XSRF_HEADER), ctx.cookie(XSRF_COOKIE))) {
      throw new Forbidden("a request signed in by the login cookie needs an " + XSRF_HEADER + " header equal to the _xsrf cookie");
    }
    return password;
  }

  /**
   * The password a socket's login cookie stands for, on the kernel channels; empty without one,
   * or when the socket comes from a web page of another origin than this server's.
   */
  static Optional<String> token(Handshake socket) {
    if (!Access.isKernelChannelsPath(socket.path())) {
      return Optional.empty();
    }
    Optional<String> origin = socket.header("Origin");
    if (origin.isPresent() && !sameOrigin(origin.get(), socket.header("Host").orElse(""))) {
      return Optional.empty();
    }
    return socket.header("Cookie").flatMap(cookies -> cookie(cookies, LOGIN_COOKIE)).flatMap(JupyterLogin::unseal);
  }

  private static void form(Context ctx) {
    String xsrf = Optional.ofNullable(ctx.cookie(XSRF_COOKIE)).filter(JupyterLogin::wellFormed).orElseGet(() -> random(24));
    ctx.header("Set-Cookie", XSRF_COOKIE + "=" + xsrf + "; Path=/; SameSite=Strict");
    ctx.header("Cache-Control", "no-store");
    ctx.header("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'");
    ctx.contentType("text/html; charset=utf-8").result("""
        <!doctype html><title>Sandcastle: sign in</title>
        <form method="post"><input type="hidden" name="_xsrf" value="%s">
        <label>Password or token <input type="password" name="password" autofocus></label> <button>Sign in</button></form>
        """.formatted(xsrf));
  }

  private static void login(Context ctx, Access access) {
    String xsrf = ctx.formParam(XSRF_COOKIE);
    if (!matches(xsrf, ctx.cookie(XSRF_COOKIE))) {
      throw new Forbidden("the _xsrf form field must equal the _xsrf cookie that GET /login set");
    }
    String password = Optional.ofNullable(ctx.formParam("password")).orElse("");
    if (password.isEmpty() || password.length() > MAX_PASSWORD) {
      throw new Unauthorized("the password is missing or too long");
    }
    access.checkPassword(ctx, password);
    ctx.header("Set-Cookie", LOGIN_COOKIE + "=" + seal(password) + "; Path=/; Max-Age=" + LIFETIME.toSeconds()
        + "; HttpOnly; SameSite=Strict" + ("https".equals(ctx.scheme()) ? "; Secure" : ""));
    ctx.header("Cache-Control", "no-store");
    String next = ctx.queryParam("next");
    // Only a path of this server: browsers drop tabs and newlines and read '\\' as '/', so "/\t/x" would leave it.
    if (next != null && next.startsWith("/") && next.chars().allMatch(c -> c > ' ' && c < 127 && c != '\\') && !next.startsWith("//")) {
      ctx.redirect(next, io.javalin.http.HttpStatus.FOUND);
    } else {
      ctx.contentType("text/plain; charset=utf-8").result("signed in\n");
    }
  }

  private static boolean matches(String given, String expected) {
    return given != null && expected != null && wellFormed(expected)
        && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8));
  }

  private static boolean wellFormed(String xsrf) {
    return xsrf.length() >= 16 && xsrf.length() <= 128 && xsrf.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '-' || c == '_'));
  }

  static Optional<String> cookie(String header, String name) {
    for (String pair : header.split(";")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).trim().equals(name)) {
        return Optional.of(pair.substring(eq + 1).trim());
      }
    }
    return Optional.empty();
  }

  private static boolean sameOrigin(String origin, String host) {
    try {
      URI uri = URI.create(origin);
      String authority = uri.getRawAuthority();
      return authority != null && authority.toLowerCase(Locale.ROOT).equals(host.toLowerCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String seal(String password) {
    byte[] iv = new byte[12];
    RANDOM.nextBytes(iv);
    byte[] text = password.getBytes(StandardCharsets.UTF_8);
    ByteBuffer plain = ByteBuffer.allocate(8 + text.length).putLong(Instant.now().plus(LIFETIME).getEpochSecond()).put(text);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, KEY, new GCMParameterSpec(128, iv));
      byte[] sealed = cipher.doFinal(plain.array());
      return Base64.getUrlEncoder().withoutPadding().encodeToString(ByteBuffer.allocate(iv.length + sealed.length).put(iv).put(sealed).array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  private static Optional<String> unseal(String cookie) {
    if (cookie.length() > 4 * MAX_PASSWORD) {
      return Optional.empty();
    }
    try {
      byte[] all = Base64.getUrlDecoder().decode(cookie);
      if (all.length < 12 + 16 + 8) {
        return Optional.empty();
      }
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, KEY, new GCMParameterSpec(128, all, 0, 12));
      ByteBuffer plain = ByteBuffer.wrap(cipher.doFinal(all, 12, all.length - 12));
      if (Instant.ofEpochSecond(plain.getLong()).isBefore(Instant.now())) {
        return Optional.empty();
      }
      return Optional.of(StandardCharsets.UTF_8.decode(plain).toString());
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      return Optional.empty(); // not ours, tampered with, or from before a restart
    }
  }

  private static String random(int bytes) {
    byte[] value = new byte[bytes];
    RANDOM.nextBytes(value);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(value);
  }

  private static SecretKey newKey() {
    try {
      KeyGenerator generator = KeyGenerator.getInstance("AES");
      generator.init(256, RANDOM);
      return generator.generateKey();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES is not available", e);
    }
  }
}
