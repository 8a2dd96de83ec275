package dev.sandcastle.interpreter.jupyter;

import java.util.Objects;

/**
 * How a {@link JupyterClient} proves itself to the server. The secrets never appear in {@code
 * toString()} or in error messages.
 */
public sealed interface JupyterAuth {

  /** A word for messages: "token" or "password". */
  String kind();

  static JupyterAuth token(String token) {
    return new Token(token);
  }

  static JupyterAuth password(String password) {
    return new Password(password);
  }

  /**
   * The server's API token: sent as {@code Authorization: token <t>} on every request and as the
   * {@code token} query parameter when opening a kernel's WebSocket.
   */
  record Token(String token) implements JupyterAuth {
    public Token {
      Objects.requireNonNull(token, "token");
      if (token.isBlank()) {
        throw new IllegalArgumentException("the Jupyter token is empty");
      }
    }

    @Override
    public String kind() {
      return "token";
    }

    @Override
    public String toString() {
      return "Token[***]";
    }
  }

  /**
   * The server's password: the client logs in once through the login form ({@code _xsrf} cookie
   * and form field), keeps the session cookies, and sends {@code X-XSRFToken} on later requests
   * that change state.
   */
  record Password(String password) implements JupyterAuth {
    public Password {
      Objects.requireNonNull(password, "password");
      if (password.isEmpty()) {
        throw new IllegalArgumentException("the Jupyter password is empty");
      }
    }

    @Override
    public String kind() {
      return "password";
    }

    @Override
    public String toString() {
      return "Password[***]";
    }
  }
}
