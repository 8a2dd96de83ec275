package dev.sandcastle.orchestrator.pyodide;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;

/**
 * Reads from the package index: its lock file and package files, nothing else (every URL is the
 * index's plus a name that passed the lock file's checks). Every transfer is bounded: a connection
 * must open within {@code connect}, no transfer may stall longer than {@code stall}, none may take
 * longer than {@code total}, and a file may not exceed its size limit, so a slow or hostile index
 * costs a bounded amount of time, memory and disk.
 */
final class IndexClient implements AutoCloseable {
  /** The bounds of every transfer. */
  record Limits(Duration connect, Duration stall, Duration total, long maxFileBytes) {}

  /** The index could not give what was asked; the message says why, for an administrator and a user. */
  static final class Failure extends RuntimeException {
    Failure(String message) {
      super(message, null, false, false);
    }
  }

  private final URI index;
  private final Limits limits;
  private final HttpClient client;

  /** @param index the index's base URL, ending with '/' */
  IndexClient(URI index, Limits limits) {
    if (!index.toString().endsWith("/")) {
      throw new IllegalArgumentException("the index URL must end with '/'");
    }
    this.index = index;
    this.limits = limits;
    client = dev.sandcastle.orchestrator.JettyClients.start("pyodide-index", 16, 1, http -> {
      http.setConnectTimeout(limits.connect().toMillis());
      http.setIdleTimeout(limits.stall().toMillis());
      http.setMaxRedirects(4);
      http.setUserAgentField(new org.eclipse.jetty.http.HttpField(org.eclipse.jetty.http.HttpHeader.USER_AGENT, "Sandcastle (Pyodide package mirror)"));
      http.setHttpCookieStore(new org.eclipse.jetty.http.HttpCookieStore.Empty());
    });
  }

  URI index() {
    return index;
  }

  /** The index's own lock file. */
  byte[] lock() {
    try (InputStream in = open("pyodide-lock.json", PyodideLock.MAX_BYTES)) {
      byte[] body = in.readNBytes(PyodideLock.MAX_BYTES + 1);
      if (body.length > PyodideLock.MAX_BYTES) {
        throw new Failure("its pyodide-lock.json is larger than " + size(PyodideLock.MAX_BYTES));
      }
      return body;
    } catch (IOException e) {
      throw new Failure(describe(e));
    }
  }

  /** Downloads one package file into the mirror's temporary folder (not yet verified: the caller checks its digest). */
  MirrorFiles.Written fetch(String fileName, MirrorFiles files) {
    if (!PyodideLock.FILE_NAME.matcher(fileName).matches()) {
      throw new IllegalArgumentException("not a package file name");
    }
    try (InputStream in = open(fileName, limits.maxFileBytes())) {
      return files.receive(in, limits.maxFileBytes());
    } catch (MirrorFiles.TooLarge e) {
      throw new Failure("the file is " + e.getMessage());
    } catch (IOException e) {
      throw new Failure(describe(e));
    }
  }

  /** Sends the request and returns the body of a 200 answer as a stream. */
  private InputStream open(String name, long maxBytes) throws IOException {
    URI uri = index.resolve(name);
    Request request = client.newRequest(uri).timeout(limits.total().toMillis(), TimeUnit.MILLISECONDS);
    InputStreamResponseListener listener = new InputStreamResponseListener();
    request.send(listener);
    Response response;
    try {
      response = listener.get(limits.connect().plus(limits.stall()).toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      request.abort(e);
      throw new Failure("no answer within " + limits.connect().plus(limits.stall()).toSeconds() + " s");
    } catch (ExecutionException e) {
      throw new Failure(describe(e.getCause()));
    } catch (InterruptedException e) {
      request.abort(e);
      Thread.currentThread().interrupt();
      throw new Failure("interrupted");
    }
    if (response.getStatus() != 200) {
      listener.getInputStream().close();
      throw new Failure("it answered HTTP " + response.getStatus() + " for " + name);
    }
    long length = response.getHeaders().getLongField(org.eclipse.jetty.http.HttpHeader.CONTENT_LENGTH);
    if (length > maxBytes) {
      listener.getInputStream().close();
      throw new Failure(name + " is larger than " + size(maxBytes) + " (" + size(length) + ")");
    }
    return listener.getInputStream();
  }

  /** Bytes as "512 bytes", "3 KiB" or "12 MiB" (rounded down). */
  static String size(long bytes) {
    return bytes < 1024 ? bytes + " bytes" : bytes < 1 << 20 ? (bytes >> 10) + " KiB" : (bytes >> 20) + " MiB";
  }

  /** A short reason for a failed transfer, without stack traces. */
  static String describe(Throwable e) {
    Throwable cause = e;
    while (cause.getCause() != null && cause.getCause() != cause
        && (cause instanceof ExecutionException || cause instanceof IOException && cause.getMessage() == null)) {
      cause = cause.getCause();
    }
    return switch (cause) {
      case UnknownHostException u -> "unknown host " + u.getMessage() + " (no network, or no DNS)";
      case UnresolvedAddressException u -> "its host name does not resolve (no network, or no DNS)";
      case ConnectException c -> "cannot connect (" + c.getMessage() + ")";
      case TimeoutException t -> "timed out (" + t.getMessage() + ")";
      case java.nio.channels.ClosedChannelException c -> "the connection closed before the end";
      default -> cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    };
  }

  @Override
  public void close() {
    try {
      client.stop();
    } catch (Exception e) {
      // shutting down: nothing left to do with it
    }
  }
}
