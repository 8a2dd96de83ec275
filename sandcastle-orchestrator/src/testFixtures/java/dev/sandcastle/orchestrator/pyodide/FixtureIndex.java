package dev.sandcastle.orchestrator.pyodide;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A Pyodide package index for tests, on 127.0.0.1: {@code /index/pyodide-lock.json} (a lock of the
 * given info naming the packages added) and {@code /index/<file>} for each file. Records every
 * request, and can serve other bytes than the lock's for a file (a tampered copy) or answer slowly.
 */
public final class FixtureIndex implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final PyodideLock.Info info;
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();
  private final List<PyodideLock.Entry> entries = new CopyOnWriteArrayList<>();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private volatile Duration delay = Duration.ZERO;

  private FixtureIndex(PyodideLock.Info info) throws IOException {
    this.info = info;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(executor);
    server.createContext("/index/", this::handle);
    server.start();
  }

  /** An index whose lock is built for {@code info} (use the bundled lock's, or its packages are refused). */
  public static FixtureIndex start(PyodideLock.Info info) throws IOException {
    return new FixtureIndex(info);
  }

  /** The index's base URL, ending with '/'. */
  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/index/");
  }

  /** Names the wheel in the lock and serves it. */
  public FixtureIndex add(FixtureWheel wheel) {
    entries.add(wheel.entry());
    files.put(wheel.fileName(), wheel.bytes());
    return this;
  }

  /** Names an entry in the lock and serves these bytes under its file name (other bytes than its sha256 says: a tampered copy). */
  public FixtureIndex serve(PyodideLock.Entry entry, byte[] body) {
    entries.add(entry);
    files.put(entry.fileName(), body);
    return this;
  }

  /** Serves these bytes for a file name from now on. */
  public void replace(String fileName, byte[] body) {
    files.put(fileName, body);
  }

  /** Waits this long before answering each request. */
  public void delay(Duration delay) {
    this.delay = delay;
  }

  /** The paths asked for, in order (below {@code /index/}). */
  public List<String> requests() {
    return new ArrayList<>(requests);
  }

  public long requests(String name) {
    return requests.stream().filter(name::equals).count();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String name = exchange.getRequestURI().getPath().substring("/index/".length());
    requests.add(name);
    try (exchange) {
      if (!delay.isZero()) {
        Thread.sleep(delay);
      }
      byte[] body = name.equals("pyodide-lock.json") ? new PyodideLock(info, Map.of(), 0).write(entries) : files.get(name);
      if (body == null) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
